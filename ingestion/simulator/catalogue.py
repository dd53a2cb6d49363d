"""Reference data for the simulated games: item names and categories, recipes.

The live APIs leave gaps the marts need filled: WoW auctions carry item ids only,
the OSRS mapping carries no category, and no market API publishes recipes. A real
deployment fills them from an item-catalogue export (Blizzard's item API, the OSRS
wiki, a Dofus encyclopedia dump) into the same dbt seeds; here they are generated
from the simulator's catalogue so the demo's items have names and recipes. Run
``python -m ingestion.simulator.catalogue`` to rewrite the seeds; a test checks
that the committed seeds still match.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingestion.simulator.dofus import DofusMarket
from ingestion.simulator.osrs_ge import ANCHORS, GEMarket
from ingestion.simulator.wow import PET_CAGE, PETS, WowMarket

SEED_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

OSRS_ANCHOR_CATEGORIES = {
    13190: "Membership", 20997: "Weapon", 22486: "Weapon", 4151: "Weapon", 11832: "Armour",
    11834: "Armour", 12934: "Resource", 2: "Ammunition", 314: "Resource", 561: "Rune",
    565: "Rune", 560: "Rune", 385: "Food", 3144: "Food", 2434: "Potion", 12695: "Potion",
    1513: "Resource", 1515: "Resource", 440: "Resource", 453: "Resource", 2353: "Resource",
    2363: "Resource", 1127: "Armour", 1079: "Armour", 1163: "Armour", 536: "Prayer",
    6685: "Potion", 21034: "Collectible", 12002: "Jewellery", 11802: "Weapon",
}  # fmt: skip
OSRS_KIND_CATEGORIES = {
    "Weapon": ("dagger", "sword", "scimitar", "longsword", "battleaxe", "2h sword", "warhammer",
               "mace"),
    "Armour": ("platebody", "platelegs", "plateskirt", "chainbody", "full helm", "med helm",
               "kiteshield", "sq shield", "boots"),
    "Ammunition": ("arrowtips", "dart tip", "bolts", "javelin heads"),
    "Tool": ("pickaxe", "axe"),
}  # fmt: skip
WOW_COMMODITY_CLASSES = {
    "Mycobloom": ("Tradeskill", "Herb"), "Luredrop": ("Tradeskill", "Herb"),
    "Orbinid": ("Tradeskill", "Herb"), "Blessing Blossom": ("Tradeskill", "Herb"),
    "Arathor's Spear": ("Tradeskill", "Herb"), "Bismuth": ("Tradeskill", "Metal & Stone"),
    "Ironclaw Ore": ("Tradeskill", "Metal & Stone"), "Aqirite": ("Tradeskill", "Metal & Stone"),
    "Weavercloth": ("Tradeskill", "Cloth"), "Dawnweave Bolt": ("Tradeskill", "Cloth"),
    "Stormcharged Leather": ("Tradeskill", "Leather"), "Gloom Chitin": ("Tradeskill", "Leather"),
    "Storm Dust": ("Tradeskill", "Enchanting"), "Gleaming Shard": ("Tradeskill", "Enchanting"),
    "Refulgent Crystal": ("Tradeskill", "Enchanting"),
    "Crystalline Powder": ("Tradeskill", "Enchanting"),
    "Algari Healing Potion": ("Consumable", "Potion"), "Tempered Potion": ("Consumable", "Potion"),
    "Flask of Alchemical Chaos": ("Consumable", "Flask"),
    "Bismuth Bitterling": ("Tradeskill", "Cooking"),
}  # fmt: skip
WOW_GEAR_CLASSES = {
    "Cloak": ("Armor", "Cloth"), "Ring": ("Armor", "Miscellaneous"),
    "Amulet": ("Armor", "Miscellaneous"), "Shield": ("Armor", "Shield"),
    "Warglaive": ("Weapon", "Warglaives"), "Staff": ("Weapon", "Staves"),
    "Dagger": ("Weapon", "Daggers"),
}  # fmt: skip

# (source, recipe name, profession, skill level, result, result quantity, ingredients)
RECIPES: list[tuple[str, str, str, int, str, int, list[tuple[str, int]]]] = [
    ("osrs_prices", "Steel bar", "Smithing", 30, "Steel bar", 1, [("Iron ore", 1), ("Coal", 2)]),
    ("osrs_prices", "Cannonball", "Smithing", 35, "Cannonball", 4, [("Steel bar", 1)]),
    ("osrs_prices", "Rune full helm", "Smithing", 92, "Rune full helm", 1, [("Runite bar", 2)]),
    ("osrs_prices", "Rune platelegs", "Smithing", 99, "Rune platelegs", 1, [("Runite bar", 3)]),
    ("osrs_prices", "Rune platebody", "Smithing", 99, "Rune platebody", 1, [("Runite bar", 5)]),
    ("osrs_prices", "Ranarr potion (unf)", "Herblore", 30, "Ranarr potion (unf)", 1,
     [("Grimy ranarr", 1)]),
    ("osrs_prices", "Snapdragon potion (unf)", "Herblore", 63, "Snapdragon potion (unf)", 1,
     [("Grimy snapdragon", 1)]),
    ("osrs_prices", "Torstol potion (unf)", "Herblore", 78, "Torstol potion (unf)", 1,
     [("Grimy torstol", 1)]),
    ("wow_auctions", "Algari Healing Potion", "Alchemy", 1, "Algari Healing Potion", 1,
     [("Mycobloom", 1), ("Luredrop", 1)]),
    ("wow_auctions", "Tempered Potion", "Alchemy", 25, "Tempered Potion", 1,
     [("Orbinid", 2), ("Arathor's Spear", 2), ("Mycobloom", 1)]),
    ("wow_auctions", "Flask of Alchemical Chaos", "Alchemy", 50, "Flask of Alchemical Chaos", 1,
     [("Mycobloom", 3), ("Luredrop", 3), ("Blessing Blossom", 1), ("Arathor's Spear", 2)]),
    ("wow_auctions", "Dawnweave Bolt", "Tailoring", 25, "Dawnweave Bolt", 1,
     [("Weavercloth", 12), ("Gleaming Shard", 1)]),
    ("wow_auctions", "Crystalline Powder", "Enchanting", 10, "Crystalline Powder", 1,
     [("Storm Dust", 8), ("Gleaming Shard", 1)]),
    ("wow_auctions", "Refulgent Crystal", "Enchanting", 50, "Refulgent Crystal", 1,
     [("Gleaming Shard", 5), ("Crystalline Powder", 2)]),
    ("wow_auctions", "Ornate Legguards", "Blacksmithing", 80, "Ornate Legguards 5", 1,
     [("Bismuth", 20), ("Ironclaw Ore", 10), ("Aqirite", 6), ("Refulgent Crystal", 1)]),
    ("wow_auctions", "Ornate Sabatons", "Blacksmithing", 70, "Ornate Sabatons 6", 1,
     [("Bismuth", 12), ("Ironclaw Ore", 8)]),
    ("wow_auctions", "Ornate Bracers", "Leatherworking", 60, "Ornate Bracers 7", 1,
     [("Stormcharged Leather", 10), ("Gloom Chitin", 6)]),
    ("wow_auctions", "Ornate Cloak", "Tailoring", 70, "Ornate Cloak 8", 1,
     [("Dawnweave Bolt", 4), ("Weavercloth", 20)]),
    ("wow_auctions", "Ornate Ring", "Jewelcrafting", 75, "Ornate Ring 9", 1,
     [("Refulgent Crystal", 1), ("Aqirite", 5), ("Bismuth", 4)]),
    ("wow_auctions", "Ornate Warglaive", "Blacksmithing", 90, "Ornate Warglaive 11", 1,
     [("Bismuth", 30), ("Aqirite", 10), ("Refulgent Crystal", 2)]),
    ("wow_auctions", "Ornate Gauntlets", "Leatherworking", 80, "Ornate Gauntlets 18", 1,
     [("Stormcharged Leather", 14), ("Gloom Chitin", 10)]),
    ("dofus_market", "Bronze", "Miner", 20, "Bronze", 1, [("Copper", 10), ("Tin", 10)]),
    ("dofus_market", "Energy Bread", "Baker", 40, "Energy Bread", 1,
     [("Wheat", 4), ("Barley", 4)]),
    ("dofus_market", "Recall Potion", "Alchemist", 1, "Recall Potion", 1,
     [("Flax", 2), ("Sadida Leaf", 1)]),
    ("dofus_market", "Prospecting Potion", "Alchemist", 30, "Prospecting Potion", 1,
     [("Flax", 4), ("Piwi Feather", 2)]),
    ("dofus_market", "Bonta Potion", "Alchemist", 50, "Bonta Potion", 1,
     [("Hemp", 3), ("Malt", 2)]),
    ("dofus_market", "Brakmar Potion", "Alchemist", 50, "Brakmar Potion", 1,
     [("Rye", 3), ("Hop", 2)]),
    ("dofus_market", "Kanojedo Soup", "Baker", 60, "Kanojedo Soup", 1,
     [("Oats", 3), ("Barley", 2), ("Kwak Beak", 1)]),
]  # fmt: skip


def _osrs_category(item_id: int, name: str) -> str:
    if item_id in OSRS_ANCHOR_CATEGORIES:
        return OSRS_ANCHOR_CATEGORIES[item_id]
    if name.startswith("Grimy "):
        return "Herb"
    if name.endswith("(unf)"):
        return "Potion"
    if name.startswith("Curio "):
        return "Collectible"
    kind = name.split(" ", 1)[1] if " " in name else name
    for category, kinds in OSRS_KIND_CATEGORIES.items():
        if kind in kinds:
            return category
    return "Miscellaneous"


def item_category_rows() -> list[dict]:
    """Categories for sources whose API carries none (the OSRS mapping)."""
    assert {a[0] for a in ANCHORS} == set(OSRS_ANCHOR_CATEGORIES)
    return [
        {
            "source": "osrs_prices",
            "source_item_id": it.item_id,
            "category": _osrs_category(it.item_id, it.name),
        }
        for it in GEMarket().items
    ]


def wow_item_rows() -> list[dict]:
    """What Blizzard's item API would say about each simulated item id."""
    wow = WowMarket()
    rows = []
    for it in wow.commodities:
        base = it.name.split(" (Rank")[0]
        item_class, subclass = WOW_COMMODITY_CLASSES[base]
        rows.append(
            {
                "item_id": it.item_id,
                "item_name": it.name,
                "item_class": item_class,
                "item_subclass": subclass,
            }
        )
    rows.append(
        {
            "item_id": PET_CAGE,
            "item_name": "Pet Cage",
            "item_class": "Battle Pets",
            "item_subclass": "Pet cage",
        }
    )
    for it in wow.realm_items:
        if it.pet_species_id:
            continue
        kind = it.name.split(" ")[1]
        item_class, subclass = WOW_GEAR_CLASSES.get(kind, ("Armor", "Plate"))
        rows.append(
            {
                "item_id": it.item_id,
                "item_name": it.name,
                "item_class": item_class,
                "item_subclass": subclass,
            }
        )
    return rows


def wow_pet_species_rows() -> list[dict]:
    """Rows of the ``wow_pet_species`` seed: ``pet_species_id`` and ``species_name`` of each
    simulated battle pet sold in cages."""
    return [{"pet_species_id": species, "species_name": name} for species, name, _ in PETS]


def _name_index() -> dict[str, dict[str, str]]:
    """source → item name → source item id, over every simulated catalogue.

    The OSRS simulator repeats a few anchor names among its generated items ("Rune
    platebody"); the anchor, listed first, is the real item and wins.
    """
    osrs: dict[str, str] = {}
    for it in GEMarket().items:
        osrs.setdefault(it.name, str(it.item_id))
    return {
        "osrs_prices": osrs,
        "wow_auctions": {r["item_name"]: str(r["item_id"]) for r in wow_item_rows()},
        "dofus_market": {it["item_name"]: str(it["ankama_id"]) for it in DofusMarket().items},
    }


def recipe_rows() -> tuple[list[dict], list[dict]]:
    """(recipes, recipe_ingredients) with item names resolved to the source's ids."""
    names = _name_index()
    recipes, ingredients = [], []
    for n, (source, name, profession, level, result, qty, parts) in enumerate(RECIPES, start=1):
        recipe_id = f"{source.split('_')[0]}-{n:03d}"
        recipes.append(
            {
                "recipe_id": recipe_id,
                "source": source,
                "recipe_name": name,
                "profession": profession,
                "skill_level": level,
                "result_item_id": names[source][result],
                "result_quantity": qty,
            }
        )
        for part, part_qty in parts:
            ingredients.append(
                {
                    "recipe_id": recipe_id,
                    "ingredient_item_id": names[source][part],
                    "quantity": part_qty,
                }
            )
    return recipes, ingredients


def seed_texts() -> dict[str, str]:
    """File name → CSV text of every generated seed."""
    recipes, ingredients = recipe_rows()
    tables = {
        "item_categories.csv": item_category_rows(),
        "wow_items.csv": wow_item_rows(),
        "wow_pet_species.csv": wow_pet_species_rows(),
        "recipes.csv": recipes,
        "recipe_ingredients.csv": ingredients,
    }
    out = {}
    for name, rows in tables.items():
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        out[name] = buf.getvalue()
    return out


def main() -> None:
    """Rewrite every generated seed under ``dbt_project/seeds`` and print each file's row count."""
    for name, text in seed_texts().items():
        (SEED_DIR / name).write_text(text)
        print(f"wrote {SEED_DIR / name} ({text.count(chr(10)) - 1} rows)")


if __name__ == "__main__":
    main()
