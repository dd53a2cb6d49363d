"""How Yahoo Finance is run: the exchanges' job, shared with Binance (ingestion/assets.py),
and its freshness."""

from __future__ import annotations

from datetime import timedelta

from ingestion.assets import EXCHANGES_JOB
from ingestion.sources import Tick

TICK = Tick(job=EXCHANGES_JOB, freshness=timedelta(minutes=15))  # every 5 minutes
