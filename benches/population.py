#!/usr/bin/env python3
"""Writes a synthetic population of 攀人社发〔2022〕143号 cases as JSON Lines.

usage: population.py N [SEED] [--persons] [--varied] > cases.jsonl

Half are enterprises with 0-300 hired people (clause 5 and its 20万元 cap),
half are persons (migration, training, start-ups, graduates). The same
file feeds `policyc batch`, the benchmarks and the peer comparison. With
--persons, every case is a person (a monitored population of people).

Persons give few distinct facts (36 different subjects), which suits the
evaluator's memory of rule groups' verdicts best. With --varied, persons
give many more: each optional fact present or not, training days 0-90,
registration dates over three years, months of stable employment and of
rural public jobs -- a harder test of that memory.
"""
import json, random, sys

def varied_person(rng):
    subject = {"类型": "个人", "脱贫人口": rng.random() < 0.9}
    optional = {
        "农村低收入人口": lambda: rng.random() < 0.3,
        "脱贫家庭成员": lambda: rng.random() < 0.5,
        "外出务工": lambda: rng.random() < 0.6,
        "就业地": lambda: rng.choice(["本县", "省内县外", "省外"]),
        "稳定就业月数": lambda: rng.randint(0, 36),
        "有组织劳务输出": lambda: rng.random() < 0.5,
        "参加培训天数": lambda: rng.randint(0, 90),
        "首次创业": lambda: rng.random() < 0.2,
        "工商登记日期": lambda: f"{rng.randint(2020, 2022)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "毕业学历": lambda: rng.choice(["研究生", "本科", "大专", "中专", "无"]),
        "灵活就业": lambda: rng.random() < 0.3,
        "乡村公益性岗位": lambda: rng.random() < 0.2,
        "本次签订期限月数": lambda: rng.randint(1, 24),
        "累计安置月数": lambda: rng.randint(0, 48),
        "对口帮扶培训": lambda: rng.random() < 0.1,
    }
    for name, value in optional.items():
        if rng.random() < 0.6:
            subject[name] = value()
    return subject

def case(i, rng, persons=False, varied=False):
    if i % 2 == 0 and not persons:
        n = rng.choice([0, 1, 5, 9, 10, 11, 25, 99, 100, 219, 250, 300])
        members = [{"脱贫人口": rng.random() < 0.9, "劳动合同月数": rng.choice([6, 11, 12, 24]),
                    "参加社会保险": rng.random() < 0.95} for _ in range(n)]
        subject = {"类型": "单位", "单位性质": "企业", "企业规模": "小型", "民营": True, "吸纳人员": members}
    elif varied:
        subject = varied_person(rng)
    else:
        subject = {"类型": "个人", "脱贫人口": True, "有组织劳务输出": rng.random() < 0.5,
                   "就业地": rng.choice(["本县", "省内县外", "省外"]), "参加培训天数": rng.choice([0, 5, 10]),
                   "首次创业": rng.random() < 0.2, "工商登记日期": "2022-11-01"}
    return {"编号": f"P{i}", "日期": "2023-05-10", "文件": ["攀人社发〔2022〕143号"], "主体": subject}

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    persons = "--persons" in sys.argv
    varied = "--varied" in sys.argv
    n = int(args[0])
    rng = random.Random(int(args[1]) if len(args) > 1 else 7)
    out = sys.stdout
    for i in range(n):
        out.write(json.dumps(case(i, rng, persons, varied), ensure_ascii=False))
        out.write("\n")

if __name__ == "__main__":
    main()
