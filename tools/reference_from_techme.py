"""Write sim/catalogue/reference_class/provinces.csv from the techme R package's data (run by hand).

    pip install pyreadr
    python tools/reference_from_techme.py PATH/TO/techme   # a checkout of huhuaping/techme

techme (MIT licence, Kevin Hu) ships tables of the China Statistical Yearbook on Science and
Technology (中国科技统计年鉴) and of the high-tech certification notices on innocom.gov.cn as R
data. Only years up to 2022 are written: the reference class is what the bureau could know on
the policy date (March 2023). Province names with OCR typos in the source are mapped back
(江四 → 江西, 浙汀 → 浙江, 四藏 → 西藏); national and regional totals are left out.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pyreadr

OUT = Path(__file__).resolve().parents[1] / "sim/catalogue/reference_class/provinces.csv"
LAST_YEAR = 2022
PINYIN = {
    "北京": "beijing", "天津": "tianjin", "河北": "hebei", "山西": "shanxi", "内蒙古": "neimenggu",
    "辽宁": "liaoning", "吉林": "jilin", "黑龙江": "heilongjiang", "上海": "shanghai",
    "江苏": "jiangsu", "浙江": "zhejiang", "安徽": "anhui", "福建": "fujian", "江西": "jiangxi",
    "山东": "shandong", "河南": "henan", "湖北": "hubei", "湖南": "hunan", "广东": "guangdong",
    "广西": "guangxi", "海南": "hainan", "重庆": "chongqing", "四川": "sichuan", "贵州": "guizhou",
    "云南": "yunnan", "西藏": "xizang", "陕西": "shaanxi", "甘肃": "gansu", "青海": "qinghai",
    "宁夏": "ningxia", "新疆": "xinjiang",
}  # fmt: skip
TYPOS = {"江四": "江西", "浙汀": "浙江", "四藏": "西藏"}
REPO = "https://github.com/huhuaping/techme/blob/{commit}/data/{file}.rda"
YEARBOOK = "China Statistical Yearbook on Science and Technology (中国科技统计年鉴)"


def main(techme: Path) -> None:
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=techme, capture_output=True,
                            text=True, check=True).stdout.strip()  # fmt: skip
    date = subprocess.run(["git", "log", "-1", "--format=%cd", "--date=short"], cwd=techme,
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    rows: dict[tuple[str, str, int], list] = {}

    def add(file: str, province: str, indicator: str, year: float, value: float, unit: str,
            note: str) -> None:  # fmt: skip
        name = TYPOS.get(province, province)
        if name not in PINYIN or int(year) > LAST_YEAR:
            return
        key = (PINYIN[name], indicator, int(year))
        url = REPO.format(commit=commit, file=file)
        rows.setdefault(key, [*key, value, unit, "reported", url, date, note])

    def table(file: str):
        return pyreadr.read_r(str(techme / "data" / f"{file}.rda"))[file]

    for r in table("RDIntense").itertuples():
        if r.chn_block4 == "RD强度":
            add(
                "RDIntense",
                r.province,
                "rd_to_gdp",
                r.year,
                r.value,
                "percent",
                f"{YEARBOOK}, R&D expenditure over GDP (RD强度), via techme RDIntense",
            )
    for r in table("RDPatentValid").itertuples():
        if r.chn_block4 == "发明":
            add(
                "RDPatentValid",
                r.province,
                "invention_patents_valid",
                r.year,
                r.value,
                "patents",
                f"{YEARBOOK}, valid domestic invention patents (有效发明专利), "
                "via techme RDPatentValid",
            )
    for r in table("HitechFirmsPub").itertuples():
        add(
            "HitechFirmsPub",
            r.province,
            "hightech_certified_listed",
            r.year,
            r.num,
            "firms",
            "firms listed in the year's high-tech certification notices on innocom.gov.cn "
            "(认定公示: first certifications and re-certifications), via techme HitechFirmsPub",
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scope", "indicator", "year", "value", "unit", "status", "source_url",
                    "page_date", "note"])  # fmt: skip
        for key in sorted(rows):
            w.writerow(rows[key])
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
