"""Made-up but plausible customer companies for the demo (Japanese and a few English)."""

from __future__ import annotations

import random
from dataclasses import dataclass

_STEMS = [
    ("さくら", "sakura"),
    ("みなと", "minato"),
    ("ひかり", "hikari"),
    ("あおば", "aoba"),
    ("こだま", "kodama"),
    ("はやぶさ", "hayabusa"),
    ("つばさ", "tsubasa"),
    ("いろは", "iroha"),
    ("やまと", "yamato"),
    ("なごみ", "nagomi"),
    ("ときわ", "tokiwa"),
    ("かなで", "kanade"),
    ("しずく", "shizuku"),
    ("あかり", "akari"),
    ("そよかぜ", "soyokaze"),
    ("北斗", "hokuto"),
    ("東雲", "shinonome"),
    ("富士", "fuji"),
    ("瀬戸", "seto"),
    ("白樺", "shirakaba"),
]
_TRADES = [
    ("テック", "tech"),
    ("ラボ", "lab"),
    ("システムズ", "systems"),
    ("ソリューションズ", "solutions"),
    ("デザイン", "design"),
    ("商事", "shoji"),
    ("工業", "kogyo"),
    ("物産", "bussan"),
    ("ネットワークス", "networks"),
    ("クラウド", "cloud"),
    ("データ", "data"),
    ("メディカル", "medical"),
]
_FORMS = ["株式会社{}", "{}株式会社", "合同会社{}"]
_ENGLISH = [
    "Acme Robotics KK",
    "Blue Harbor Analytics",
    "Northwind Trading Japan",
    "Lighthouse Learning",
    "Tanuki Games Ltd.",
    "Crescent Logistics",
    "Maple Leaf Foods Japan",
    "Orbit Payments KK",
]


@dataclass(frozen=True)
class DemoCompany:
    name: str
    email: str
    locale: str


def companies(count: int, rng: random.Random) -> list[DemoCompany]:
    """``count`` distinct companies; about one in twelve English-speaking."""
    made: list[DemoCompany] = []
    seen: set[str] = set()
    while len(made) < count:
        n = len(made)
        if rng.random() < 1 / 12:
            base = rng.choice(_ENGLISH)
            slug = base.lower().replace(" ", "-").replace(".", "")
            name, locale = base, "en"
        else:
            stem, stem_latin = rng.choice(_STEMS)
            trade, trade_latin = rng.choice(_TRADES)
            name = rng.choice(_FORMS).format(stem + trade)
            slug, locale = f"{stem_latin}-{trade_latin}", "ja"
        if name in seen:
            name = f"{name} {n}" if locale == "en" else f"{name}（第{n}事業部）"
        seen.add(name)
        made.append(DemoCompany(name=name, email=f"billing@{slug}-{n}.example.jp", locale=locale))
    return made
