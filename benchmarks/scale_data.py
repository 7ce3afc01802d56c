"""The data of the scale benchmark (``bench_scale.py``): a valid cxresearch study
written part by part, never whole in memory.

``write_scale_study(folder, params)`` writes

- ``responses/part-00000.parquet``, ...: ``params.respondents`` respondents in
  parts of ``params.respondent_part_rows`` rows, each rating ``params.items``
  touchpoints on expectation and experience (1-7, int8, missing when the
  touchpoint was not used), six outcomes (NPS 0-10, CSAT 1-5, CES 1-7,
  loyalty 1-5 as int8; retained and referral yes/no), two waits, brand, wave,
  profile (dictionary-encoded text) and a survey weight;
- ``events/part-00000.parquet``, ...: ``params.events`` web events in parts of
  ``params.event_part_rows`` rows (session id int64, page type and device as
  dictionary text, a time stamp); a part holds whole sessions, ordered by time;
- ``study.yaml``: the codebook (both data sets as folders of parts);
- ``params.json``: the parameters, written last, so a folder with the same
  parameters is known to be complete and is reused.

Every part is drawn from its own seed (``[seed, kind, part]``), so a part is the
same whichever process writes it and in whatever order. The generating model
follows the demo study's (:mod:`cxresearch.demo.study`): personas with their
own expectations, brands with their own quality per touchpoint, a latent
satisfaction behind the outcomes; events walk home -> search -> product ->
cart -> delivery -> payment -> confirmation. Parquet with zstd; every part is
one row group, so a part is one Dask partition.
"""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

FORMAT = 1  # bump when the generated data change: a reused folder must match
BRANDS = ("Acme", "Brightline", "Corvex", "Duomart")
BRAND_SHARES = (0.4, 0.2, 0.2, 0.2)
WAVES = ("2026-Q2", "2026-Q3")
PERSONA_SHARES = (0.30, 0.25, 0.25, 0.20)
AGE_GROUPS = ("18-29", "30-44", "45-59", "60+")
AGE_POPULATION = np.array([0.22, 0.27, 0.27, 0.24])
AGES_BY_PERSONA = np.array(
    [[0.45, 0.35, 0.15, 0.05], [0.05, 0.20, 0.35, 0.40], [0.20, 0.40, 0.30, 0.10], [0.25] * 4]
)
REGIONS = ("North", "South", "East", "West")
CHANNELS = ("online", "store", "both")
CHANNEL_BY_PERSONA = np.array(
    [[0.75, 0.05, 0.20], [0.05, 0.75, 0.20], [0.40, 0.30, 0.30], [0.30, 0.30, 0.40]]
)
STAGES = ("before", "during", "after")
DONT_KNOW = 98
STEPS = ("home", "search", "product", "cart", "delivery", "payment", "confirmation")
FUNNEL = STEPS[2:]
CONTINUE = (0.6, 0.82, 0.85, 0.42)  # cart, delivery, payment, confirmation
PRODUCT_SHARE = 0.8
EVENTS_PER_SESSION = 1 + 0.8 + PRODUCT_SHARE * (1 + 0.6 * (1 + 0.82 * (1 + 0.85 * (1 + 0.42))))
EVENTS_PER_SESSION *= 1.01  # duplicated events
SPAN_SECONDS = 183 * 86400
START = np.datetime64("2026-04-01T00:00:00", "ms")


@dataclass(frozen=True)
class ScaleParams:
    """What the generated data depend on (a folder is reused when they match)."""

    respondents: int
    items: int
    events: int
    seed: int = 7
    respondent_part_rows: int = 500_000
    event_part_rows: int = 1_000_000  # the funnel holds ~3x a part: 5M killed 1.5 GiB workers
    format: int = FORMAT

    def respondent_parts(self) -> list[tuple[int, int]]:
        """(first row, rows) of each responses part."""
        return _parts(self.respondents, self.respondent_part_rows)

    def event_parts(self) -> list[tuple[int, int]]:
        return _parts(self.events, self.event_part_rows)


def _parts(total: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(size, total - start)) for start in range(0, total, size)]


@dataclass(frozen=True)
class Design:
    """The planted truth, drawn once from the seed: per brand and touchpoint the
    mean experience, per persona and touchpoint the expectation offset, per
    touchpoint its reach and its weight in the latent satisfaction."""

    quality: np.ndarray  # brands x items
    offsets: np.ndarray  # personas x items
    reach: np.ndarray  # items
    weights: np.ndarray  # items, sum 1
    waits: tuple[int, int]  # the touchpoints with a wait column

    @classmethod
    def drawn(cls, items: int, seed: int) -> Design:
        rng = np.random.default_rng([seed, 0])
        quality = np.round(4.9 + rng.normal(0, 0.5, (len(BRANDS), items)), 1)
        quality[0, items - 1] = 2.9  # the brand's worst touchpoint: its last one
        weights = np.linspace(1.0, 0.1, items)
        return cls(
            quality=quality,
            offsets=np.round(rng.normal(0, 0.8, (len(PERSONA_SHARES), items)), 1),
            reach=np.round(rng.uniform(0.4, 0.95, items), 2),
            weights=weights / weights.sum(),
            waits=(items - 1, items // 2),
        )


def touchpoint(t: int) -> str:
    return f"tp{t + 1:02d}"


# --- respondents ---------------------------------------------------------------------


def _dictionary(codes: np.ndarray, labels) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(labels))


def _ids(first: int, rows: int, width: int) -> pa.Array:
    """Ids ``R000000001``, ... built as one byte buffer (no Python string per row)."""
    numbers = np.arange(first + 1, first + rows + 1, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (numbers[:, None] // powers) % 10 + ord("0")
    text = np.empty((rows, width + 1), dtype=np.uint8)
    text[:, 0] = ord("R")
    text[:, 1:] = digits
    offsets = np.arange(0, (width + 1) * (rows + 1), width + 1, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def _pick(rng, probabilities: np.ndarray, rows_of: np.ndarray) -> np.ndarray:
    """One categorical draw per row from the row's probabilities (``probabilities[rows_of]``)."""
    cumulative = np.cumsum(probabilities, axis=1)[rows_of]
    return (
        (rng.random(len(rows_of))[:, None] > cumulative)
        .sum(axis=1)
        .clip(max=cumulative.shape[1] - 1)
    )


def _likert(rng, mean: np.ndarray, sd: float, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(mean + rng.normal(0, sd, len(mean))), low, high).astype(np.int8)


def _rating(values: np.ndarray, missing: np.ndarray | None) -> pa.Array:
    return pa.array(values, type=pa.int8(), mask=missing)


def respondents_table(params: ScaleParams, part: int, first: int, rows: int) -> pa.Table:
    """One part of the responses (``rows`` respondents from global row ``first``)."""
    design = Design.drawn(params.items, params.seed)
    rng = np.random.default_rng([params.seed, 1, part])
    persona = rng.choice(len(PERSONA_SHARES), rows, p=PERSONA_SHARES)
    brand = rng.choice(len(BRANDS), rows, p=BRAND_SHARES)
    wave = rng.integers(0, len(WAVES), rows)
    age = _pick(rng, AGES_BY_PERSONA, persona)
    expected_age_share = np.array(PERSONA_SHARES) @ AGES_BY_PERSONA
    width = max(9, len(str(params.respondents)))
    columns: dict[str, pa.Array] = {
        "respondent_id": _ids(first, rows, width),
        "brand_rated": _dictionary(brand, BRANDS),
        "wave": _dictionary(wave, WAVES),
        "weight": pa.array(np.round(AGE_POPULATION / expected_age_share, 4)[age]),
        "age_group": _dictionary(age, AGE_GROUPS),
        "region": _dictionary(rng.integers(0, len(REGIONS), rows), REGIONS),
        "preferred_channel": _dictionary(_pick(rng, CHANNEL_BY_PERSONA, persona), CHANNELS),
        "tenure_years": pa.array(rng.poisson(4, rows).clip(max=60).astype(np.int8)),
    }
    latent = np.zeros(rows)
    waits = {}
    for t in range(params.items):
        offset = design.offsets[persona, t]
        used = rng.random(rows) < design.reach[t]
        expectation = _likert(rng, 5.0 + offset, 0.7, 1, 7)
        shift = 0.5 * ((wave == 1) & (brand == 0)) if t == params.items - 1 else 0.0
        experience = _likert(rng, design.quality[brand, t] - 0.25 * offset + shift, 0.9, 1, 7)
        expectation[rng.random(rows) < 0.02] = DONT_KNOW
        columns[f"exp_{touchpoint(t)}"] = _rating(expectation, None)
        columns[f"perf_{touchpoint(t)}"] = _rating(experience, ~used)
        latent += design.weights[t] * np.where(used, experience - 4.0, 0.0)
        if t in design.waits:
            mean = (6.0 if t == design.waits[0] else 3.0) * 1.25 ** (4.0 - experience)
            waits[f"wait_minutes_{touchpoint(t)}"] = pa.array(
                np.round(rng.gamma(3.0, mean / 3.0), 1), mask=~used
            )
    latent = (latent - latent.mean()) / latent.std()
    recommend = _likert(rng, 7.0 + 2.0 * latent, 1.3, 0, 10)
    recommend[rng.random(rows) < 0.01] = DONT_KNOW
    columns |= {
        "recommend": _rating(recommend, None),
        "overall_satisfaction": _rating(_likert(rng, 3.6 + 0.8 * latent, 0.7, 1, 5), None),
        "easy_to_deal_with": _rating(_likert(rng, 4.8 + 0.6 * latent, 1.0, 1, 7), None),
        "will_buy_again": _rating(_likert(rng, 3.5 + 0.8 * latent, 0.8, 1, 5), None),
        "still_customer_90d": pa.array(rng.random(rows) < 1 / (1 + np.exp(-1.6 - 0.9 * latent))),
        "referred_someone": pa.array(rng.random(rows) < 1 / (1 + np.exp(1.2 - 0.9 * latent))),
        **waits,
    }
    return pa.table(columns)


# --- events --------------------------------------------------------------------------


def events_table(params: ScaleParams, part: int, first: int, rows: int) -> pa.Table:
    """One part of the web events: whole sessions starting in the part's slice of
    the 183 days, ordered by time, cut at ``rows`` events (the last session of the
    last part may be cut short)."""
    rng = np.random.default_rng([params.seed, 2, part])
    sessions = int(rows / EVENTS_PER_SESSION * 1.05) + 100
    searches = rng.poisson(0.8, sessions)
    funnel = np.where(rng.random(sessions) < PRODUCT_SHARE, 1, 0)
    alive = funnel.astype(bool)
    for p in CONTINUE:
        alive &= rng.random(sessions) < p
        funnel += alive
    depth = 1 + searches + funnel
    while depth.sum() < rows:  # (not expected: 5% spare sessions)
        depth = np.concatenate([depth, depth])
        searches = np.concatenate([searches, searches])
    ends = np.cumsum(depth)
    position = np.arange(ends[-1]) - np.repeat(ends - depth, depth)
    k = np.repeat(searches, depth)
    step = np.where(position == 0, 0, np.where(position <= k, 1, position - k + 1))
    swapped = (depth >= 4) & (rng.random(len(depth)) < 0.005)  # a step logged out of order
    last = ends[swapped] - 1
    step[last], step[last - 1] = step[last - 1], step[last].copy()
    session_of = np.repeat(np.arange(len(depth)), depth)
    n_parts = len(params.event_parts())
    start_seconds = np.sort(rng.uniform(part, part + 1, len(depth)) * SPAN_SECONDS / n_parts)
    gap = rng.gamma(2.0, 25.0, len(position)).astype(np.int64) + 1
    gap[position == 0] = 0
    seconds = np.repeat(start_seconds.astype(np.int64), depth) + _cumsum_by(gap, depth)
    twice = rng.random(len(position)) < 0.01  # duplicated events
    take = np.repeat(np.arange(len(position)), 1 + twice)[:rows]
    session_first = part * 10**9  # session ids unique over parts
    mobile = rng.random(len(depth)) < 0.6
    times = START + (seconds[take] * 1000).astype("timedelta64[ms]")
    return pa.table(
        {
            "session_id": pa.array(session_first + session_of[take]),
            "ts": pa.array(times, type=pa.timestamp("ms")),
            "page_type": _dictionary(step[take], STEPS),
            "device": _dictionary(np.where(mobile, 0, 1)[session_of[take]], ("mobile", "desktop")),
        }
    )


def _cumsum_by(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each run of ``lengths``."""
    total = np.cumsum(values)
    starts = np.cumsum(lengths) - lengths
    before = np.repeat(total[starts] - values[starts], lengths)
    return total - before


# --- the study -----------------------------------------------------------------------


def codebook(params: ScaleParams) -> dict:
    design = Design.drawn(params.items, params.seed)
    touchpoints = [
        {
            "id": touchpoint(t),
            "label": f"Touchpoint {t + 1}",
            "stage": STAGES[t * len(STAGES) // params.items],
            "experience": {"column": f"perf_{touchpoint(t)}", "scale": [1, 7]},
            "expectation": {"column": f"exp_{touchpoint(t)}", "scale": [1, 7]},
        }
        for t in range(params.items)
    ]
    return {
        "name": f"Scale benchmark: {params.respondents:,} respondents, {params.events:,} events",
        "brand": BRANDS[0],
        "min_base": 30,
        "responses": "responses",
        "columns": {
            "id": "respondent_id",
            "brand": "brand_rated",
            "weight": "weight",
            "wave": "wave",
            "profile": ["age_group", "region", "preferred_channel", "tenure_years"],
        },
        "outcomes": {
            "nps": {"column": "recommend", "scale": [0, 10]},
            "csat": {"column": "overall_satisfaction", "scale": [1, 5]},
            "ces": {"column": "easy_to_deal_with", "scale": [1, 7]},
            "loyalty": {"column": "will_buy_again", "scale": [1, 5]},
            "retained": {"column": "still_customer_90d"},
            "referral": {"column": "referred_someone"},
        },
        "touchpoints": touchpoints,
        "waves": list(WAVES),
        "missing": [DONT_KNOW],
        "operational": [
            {
                "column": f"wait_minutes_{touchpoint(t)}",
                "touchpoint": touchpoint(t),
                "target": target,
                "unit": "min",
                "lower_is_better": True,
            }
            for t, target in zip(design.waits, (5, 3), strict=True)
        ],
        "events": {
            "file": "events",
            "session": "session_id",
            "step": "page_type",
            "time": "ts",
            "device": "device",
            "funnel": list(FUNNEL),
        },
    }


def _write_part(job: tuple) -> tuple[str, int, float]:
    """Write one part (in a worker process); (kind, bytes, seconds)."""
    kind, params, part, first, rows, path = job
    start = time.perf_counter()
    make = respondents_table if kind == "responses" else events_table
    table = make(params, part, first, rows)
    tmp = Path(str(path) + ".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=len(table))
    tmp.rename(path)
    return kind, path.stat().st_size, time.perf_counter() - start


def is_complete(folder: Path, params: ScaleParams) -> bool:
    stamp = folder / "params.json"
    return stamp.exists() and json.loads(stamp.read_text()) == asdict(params)


def write_scale_study(folder: Path, params: ScaleParams, jobs: int = 2, log=print) -> dict:
    """Write the study into ``folder`` (reused when complete with the same
    parameters); per data set: parts, bytes on disk and the seconds spent
    writing them (0 when reused)."""
    folder = Path(folder)
    if is_complete(folder, params):
        log(f"  reusing the generated study in {folder}")
        return {**_sizes(folder), "reused": True, "seconds": 0.0}
    for sub in ("responses", "events", "pandas_responses", "pandas_events"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    (folder / "params.json").unlink(missing_ok=True)
    work = []
    for kind, parts in (("responses", params.respondent_parts()), ("events", params.event_parts())):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for part, (first, rows) in enumerate(parts):
            work.append(
                (kind, params, part, first, rows, folder / kind / f"part-{part:05d}.parquet")
            )
    import time

    start = time.perf_counter()
    seconds = {"responses": 0.0, "events": 0.0}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for done, (kind, _size, spent) in enumerate(pool.map(_write_part, work), start=1):
            seconds[kind] += spent
            if done % max(1, len(work) // 10) == 0 or done == len(work):
                log(f"  generated {done}/{len(work)} parts ({time.perf_counter() - start:.0f} s)")
    (folder / "study.yaml").write_text(yaml.safe_dump(codebook(params), sort_keys=False))
    (folder / "params.json").write_text(json.dumps(asdict(params), indent=1))
    return {
        **_sizes(folder),
        "reused": False,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": seconds,
    }


def _sizes(folder: Path) -> dict:
    return {
        kind: {
            "parts": len(list((folder / kind).glob("*.parquet"))),
            "bytes": sum(p.stat().st_size for p in (folder / kind).glob("*.parquet")),
        }
        for kind in ("responses", "events")
    }


def pandas_study(
    folder: Path, params: ScaleParams, respondents: int, events: int
) -> tuple[Path, int, int]:
    """A codebook ``study_pandas.yaml`` over the first parts of each data set
    (hard links in ``pandas_responses/`` and ``pandas_events/``: no copy):
    (its path, respondents, events)."""
    counts = []
    for kind, parts, wanted in (
        ("responses", params.respondent_parts(), respondents),
        ("events", params.event_parts(), events),
    ):
        target = folder / f"pandas_{kind}"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir()
        rows = 0
        for part, (_first, n) in enumerate(parts):
            if rows >= wanted:
                break
            name = f"part-{part:05d}.parquet"
            (target / name).hardlink_to(folder / kind / name)
            rows += n
        counts.append(rows)
    book = codebook(params)
    book["name"] = f"Scale benchmark (pandas): {counts[0]:,} respondents, {counts[1]:,} events"
    book["responses"] = "pandas_responses"
    book["events"]["file"] = "pandas_events"
    path = folder / "study_pandas.yaml"
    path.write_text(yaml.safe_dump(book, sort_keys=False))
    return path, counts[0], counts[1]
