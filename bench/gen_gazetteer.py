#!/usr/bin/env python3
"""Writes a generated gazetteer of N aliases as JSON Lines, for the large-gazetteer figures of
BENCHMARKS.md: entities `gen:e<i>` with a name and 9 aliases each (10 surfaces), every surface
two or three pseudo-Arabic words of 3 to 7 letters, a fifth of them with the article ال. The
random generator is seeded: the same N gives the same file.

  gen_gazetteer.py N OUT.jsonl
"""
import json, random, sys

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةى"


def word(rng):
    return "".join(rng.choice(LETTERS[:-2]) for _ in range(rng.randint(3, 7)))


def surface(rng):
    words = [word(rng) for _ in range(rng.randint(2, 3))]
    if rng.random() < 0.2:
        words[0] = "ال" + words[0]
    return " ".join(words)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(1_000_000)
    seen = set()
    with open(out, "w", encoding="utf-8") as o:
        entity, written = 0, 0
        while written < n:
            names = []
            while len(names) < min(10, n - written):
                s = surface(rng)
                if s not in seen:
                    seen.add(s)
                    names.append(s)
            o.write(json.dumps({"id": f"gen:e{entity}", "name_ar": names[0], "name_en": f"E{entity}",
                                "aliases": names[1:]}, ensure_ascii=False) + "\n")
            entity += 1
            written += len(names)


if __name__ == "__main__":
    main()
