#!/usr/bin/env python3
"""Writes a made-up person-register extract for the personregister plugin: CSV with a header
line (cpr, name, birth_date, municipality, funktionsnedsaettelse) or JSON lines.

    make-extract.py --lines N [--format csv|jsonl] [--municipality CODE] [--seed S] OUT

Every CPR number is unique and agrees with its birth date (the 7th digit gives the century
as the CPR rules say); birth dates run from 1940 to 15 years ago; about one in twenty has
funktionsnedsaettelse = true, and the youngest fifth are 15 to 18 years old, so the demo's
age start rule finds some. The people are made up; their numbers may belong to real people
elsewhere, so never load such a file into a system that sends anything to citizens.
"""
import argparse
import datetime
import json
import random
import sys

FIRST = ("Anna Emma Ida Freja Clara Laura Sofie Maja Karla Alma Ella Josefine Mathilde Agnes "
         "Lærke Frida Nora Astrid Signe Liva William Noah Oscar Lucas Victor Malthe Emil Alfred "
         "Carl Oliver Elias Magnus Aksel Valdemar Frederik Anton Arthur August Johan Søren").split()
LAST = ("Nielsen Jensen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen "
        "Petersen Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen "
        "Knudsen Jakobsen Mikkelsen Olesen Frederiksen Laursen Henriksen Lund Schmidt Holm").split()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    ap.add_argument("--municipality", default="320")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("out")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    today = datetime.date.today()
    young = today.replace(year=today.year - 18, day=min(today.day, 28))
    oldest = datetime.date(1940, 1, 1)
    newest = today.replace(year=today.year - 15, day=min(today.day, 28))
    adults = (young - oldest).days
    youths = (newest - young).days
    # a citizen is (day, k): the k-th person born that day; k picks the CPR number's serial
    out = open(a.out, "w", encoding="utf-8", newline="")
    if a.format == "csv":
        out.write("cpr,name,birth_date,municipality,funktionsnedsaettelse\n")
    per_day = {}
    for i in range(a.lines):
        if i % 5 == 4:
            born = young + datetime.timedelta(days=rnd.randrange(youths))
        else:
            born = oldest + datetime.timedelta(days=rnd.randrange(adults))
        k = per_day.get(born, 0)
        per_day[born] = k + 1
        if born.year >= 2000:  # 7th digit 4: 2000-2036
            serial = 4000 + k
        else:  # 7th digit 0-3: 1900-1999
            serial = k
        if serial > (4999 if born.year >= 2000 else 3999):
            sys.exit("too many people born on one day; ask for fewer lines")
        cpr = born.strftime("%d%m%y") + "%04d" % serial
        name = "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
        flag = rnd.random() < 0.05 or (i % 5 == 4 and rnd.random() < 0.2)
        if a.format == "csv":
            out.write("%s,%s,%s,%s,%s\n" % (cpr, name, born.isoformat(), a.municipality,
                                            "true" if flag else ""))
        else:
            rec = {"cpr": cpr, "name": name, "birth_date": born.isoformat(),
                   "municipality": a.municipality}
            if flag:
                rec["attributes"] = {"funktionsnedsaettelse": True}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    out.close()


if __name__ == "__main__":
    main()
