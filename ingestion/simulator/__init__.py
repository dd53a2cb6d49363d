"""Deterministic stand-ins for every upstream API (docs/fidelity.md#the-simulators-quirks).

Each module simulates one market or site as a pure function of a seed and a time:
``osrs_ge``, ``wow``, ``dofus``, ``hiscores``, ``exchanges`` (Binance, Yahoo Finance)
and ``tickets`` (Vivid Seats), with ``paths`` for the price walks they share. ``server``
serves them over HTTP on loopback under the real APIs' paths, so the fetch code runs
unchanged; ``writer`` writes a history straight into the landing zone, as fetch would
have; ``faults`` builds the fault suite's landing files (one fault each, with the load's
right outcome); ``catalogue`` generates the dbt seeds (item names, categories, recipes)
from the same catalogue.
"""
