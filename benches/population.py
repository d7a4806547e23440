#!/usr/bin/env python3
"""Writes a synthetic population of 攀人社发〔2022〕143号 cases as JSON Lines.

usage: population.py N [SEED] [--persons] > cases.jsonl

Half are enterprises with 0-300 hired people (clause 5 and its 20万元 cap),
half are persons (migration, training, start-ups, graduates). The same
file feeds `policyc batch`, the benchmarks and the peer comparison. With
--persons, every case is a person (a monitored population of people).
"""
import json, random, sys

def case(i, rng, persons=False):
    if i % 2 == 0 and not persons:
        n = rng.choice([0, 1, 5, 9, 10, 11, 25, 99, 100, 219, 250, 300])
        members = [{"脱贫人口": rng.random() < 0.9, "劳动合同月数": rng.choice([6, 11, 12, 24]),
                    "参加社会保险": rng.random() < 0.95} for _ in range(n)]
        subject = {"类型": "单位", "单位性质": "企业", "企业规模": "小型", "民营": True, "吸纳人员": members}
    else:
        subject = {"类型": "个人", "脱贫人口": True, "有组织劳务输出": rng.random() < 0.5,
                   "就业地": rng.choice(["本县", "省内县外", "省外"]), "参加培训天数": rng.choice([0, 5, 10]),
                   "首次创业": rng.random() < 0.2, "工商登记日期": "2022-11-01"}
    return {"编号": f"P{i}", "日期": "2023-05-10", "文件": ["攀人社发〔2022〕143号"], "主体": subject}

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    persons = "--persons" in sys.argv
    n = int(args[0])
    rng = random.Random(int(args[1]) if len(args) > 1 else 7)
    out = sys.stdout
    for i in range(n):
        out.write(json.dumps(case(i, rng, persons), ensure_ascii=False))
        out.write("\n")

if __name__ == "__main__":
    main()
