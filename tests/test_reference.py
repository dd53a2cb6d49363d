"""Reference seeds: the generated catalogue seeds match the simulator they describe."""

from __future__ import annotations

import csv

from ingestion.simulator.catalogue import RECIPES, SEED_DIR, seed_texts


def test_committed_seeds_match_the_simulator_catalogue():
    for name, text in seed_texts().items():
        assert (SEED_DIR / name).read_text() == text, (
            f"{name} is stale: run python -m ingestion.simulator.catalogue"
        )


def test_every_recipe_resolves_to_items_of_its_own_game():
    with (SEED_DIR / "recipes.csv").open() as f:
        recipes = list(csv.DictReader(f))
    with (SEED_DIR / "recipe_ingredients.csv").open() as f:
        ingredients = list(csv.DictReader(f))
    assert len(recipes) == len(RECIPES)
    assert {r["source"] for r in recipes} == {"osrs_prices", "wow_auctions", "dofus_market"}
    by_recipe: dict[str, int] = {}
    for row in ingredients:
        by_recipe[row["recipe_id"]] = by_recipe.get(row["recipe_id"], 0) + 1
    for recipe, (_, _, _, _, _, _, parts) in zip(recipes, RECIPES, strict=True):
        assert by_recipe[recipe["recipe_id"]] == len(parts)
    # the OSRS anchors win over generated items that share their name
    helm = next(r for r in recipes if r["recipe_name"] == "Rune full helm")
    assert helm["result_item_id"] == "1163"
