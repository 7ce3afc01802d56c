"""The demo study: a realistic, seeded survey with a planted, known truth.

:func:`make_demo_study` writes ``study.yaml``, ``responses.csv``,
``web_events.parquet`` and ``truth.json`` into a folder. The truth file holds
what the analyses must recover: each respondent's persona, the true driver
weights of the outcomes, the brand's worst gap and strongest touchpoint, the
planted competitive advantage and disadvantage, the funnel's abandonment step
and the touchpoint with the longest wait. The same seed gives byte-identical
files.

The generating model, in brief (all on 1-7 scales unless said otherwise):

- expectation = 5 + persona offset(touchpoint) + N(0, 0.7), rounded, clipped;
- experience = brand quality(touchpoint) - 0.25 persona offset + wave effect
  + N(0, 0.9), rounded, clipped; missing when the respondent did not use the
  touchpoint (persona-dependent reach);
- latent satisfaction L = sum_t beta_t (experience_t - 4), non-users adding 0,
  standardised; NPS, CSAT, loyalty, retention and referral follow L; CES
  follows the effort touchpoints (queue, hotline, webshop, payment).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..data.catalog import touchpoint_catalog
from .planted import (
    AGE_GROUPS,
    AGE_POPULATION,
    BASE_REACH,
    BRAND,
    CHANNELS,
    COMPETITORS,
    COMPLAINTS,
    DEFAULT_QUALITY,
    DONT_KNOW,
    DRIVER_WEIGHTS,
    EFFORT_TOUCHPOINTS,
    EMOTION_TOUCHPOINTS,
    FUNNEL,
    HOTLINE_WAVE_SHIFT,
    PERSONAS,
    PRAISE,
    QUALITY,
    REGIONS,
    STEP_CONTINUE,
    TOUCHPOINTS,
    WAITS,
    WAVES,
)


def make_demo_study(
    folder: str | Path = "data/demo", n: int = 4000, random_state: int = 7, events: bool = True
) -> Path:
    """Write the demo study into ``folder`` and return the path of its ``study.yaml``.

    Parameters
    ----------
    folder : str or Path
        Created if missing; existing demo files in it are overwritten.
    n : int
        Respondents (web sessions: 1.5 n).
    random_state : int
        The seed: the same seed gives byte-identical files.
    events : bool
        Write the web events too (a Python loop over sessions: switch it off
        for benchmark-sized studies).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(random_state)
    people = _respondents(rng, n)
    answers, latent = _touchpoint_answers(rng, people)
    outcomes = _outcomes(rng, answers, latent)
    operational = _waits(rng, people, answers)
    comments = _comments(rng, people, answers, outcomes)
    responses = pd.concat(
        [people.drop(columns="persona"), answers, outcomes, operational, comments], axis=1
    )
    responses = _sprinkle_dont_know(rng, responses)
    responses.to_csv(folder / "responses.csv", index=False, lineterminator="\n")
    if events:
        _web_events(rng, int(1.5 * n)).to_parquet(folder / "web_events.parquet", index=False)
    (folder / "study.yaml").write_text(_codebook_yaml(events), encoding="utf-8")
    truth = _truth(people, answers)
    (folder / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", "utf-8")
    return folder / "study.yaml"


def _respondents(rng: np.random.Generator, n: int) -> pd.DataFrame:
    names = list(PERSONAS)
    persona = rng.choice(len(names), size=n, p=[PERSONAS[p]["share"] for p in names])
    age = _draw_by_persona(rng, persona, [PERSONAS[p]["ages"] for p in names])
    channel = _draw_by_persona(rng, persona, [PERSONAS[p]["channel"] for p in names])
    brands = (BRAND, *COMPETITORS)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"R{i:07d}" for i in range(1, n + 1)],
            "brand_rated": np.array(brands)[rng.choice(4, size=n, p=(0.4, 0.2, 0.2, 0.2))],
            "wave": np.array(WAVES)[rng.integers(0, 2, size=n)],
            "age_group": np.array(AGE_GROUPS)[age],
            "region": np.array(REGIONS)[rng.integers(0, 4, size=n)],
            "preferred_channel": np.array(CHANNELS)[channel],
            "tenure_years": rng.poisson(4, size=n),
            "persona": persona,
        }
    )
    sample_share = np.bincount(age, minlength=4) / n
    frame.insert(3, "weight", np.round(np.array(AGE_POPULATION)[age] / sample_share[age], 4))
    return frame


def _draw_by_persona(rng, persona: np.ndarray, probabilities: list) -> np.ndarray:
    """One categorical draw per respondent from their persona's probabilities."""
    cumulative = np.cumsum(np.array(probabilities), axis=1)[persona]
    return (
        (rng.random(len(persona))[:, None] > cumulative)
        .sum(axis=1)
        .clip(max=cumulative.shape[1] - 1)
    )


def _touchpoint_answers(rng: np.random.Generator, people: pd.DataFrame):
    names = list(PERSONAS)
    n = len(people)
    answers: dict[str, np.ndarray] = {}
    latent = np.zeros(n)
    quality = np.array(
        [[QUALITY[b].get(tp, DEFAULT_QUALITY) for tp in TOUCHPOINTS] for b in (BRAND, *COMPETITORS)]
    )
    brand_index = people["brand_rated"].map({b: i for i, b in enumerate((BRAND, *COMPETITORS))})
    second_wave = (people["wave"] == WAVES[1]).to_numpy()
    used_store = None
    persona = people["persona"].to_numpy()
    for t, tp in enumerate(TOUCHPOINTS):
        offset = np.array([PERSONAS[p]["offsets"].get(tp, 0.0) for p in names])[persona]
        reach = np.array([PERSONAS[p]["reach"].get(tp, BASE_REACH[tp]) for p in names])[persona]
        used = rng.random(n) < reach
        if tp == "queue":  # one queues only in a shop one visits
            used = used_store
        if tp == "store":
            used_store = used
        expectation = _likert(5.0 + offset + rng.normal(0, 0.7, n), 1, 7)
        mean = quality[brand_index.to_numpy(), t] - 0.25 * offset
        if tp == "hotline":  # the brand's hotline improves (+0.5) in the second wave
            mean = mean + HOTLINE_WAVE_SHIFT * (
                second_wave & (people["brand_rated"] == BRAND).to_numpy()
            )
        experience = _likert(mean + rng.normal(0, 0.9, n), 1, 7)
        experience = np.where(used, experience, np.nan)
        answers[f"exp_{tp}"] = expectation
        answers[f"perf_{tp}"] = experience
        if tp in EMOTION_TOUCHPOINTS:
            feel = _likert(1 + (experience - 1) / 3 + rng.normal(0, 0.45, n), 1, 3)
            answers[f"feel_{tp}"] = np.where(used, feel, np.nan)
        latent += DRIVER_WEIGHTS[tp] * np.where(used, experience - 4, 0.0)
    frame = pd.DataFrame(answers, index=people.index).astype("Int64")
    return frame, (latent - latent.mean()) / latent.std()


def _likert(x: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(x), low, high)


def _outcomes(rng: np.random.Generator, answers: pd.DataFrame, latent: np.ndarray) -> pd.DataFrame:
    n = len(latent)
    effort = sum(
        answers[f"perf_{tp}"].astype(float).fillna(4.5).to_numpy() for tp in EFFORT_TOUCHPOINTS
    )
    effort = (effort - effort.mean()) / effort.std()
    return pd.DataFrame(
        {
            "recommend": _likert(7.0 + 2.0 * latent + rng.normal(0, 1.3, n), 0, 10),
            "overall_satisfaction": _likert(3.6 + 0.8 * latent + rng.normal(0, 0.7, n), 1, 5),
            "easy_to_deal_with": _likert(4.8 + 1.0 * effort + rng.normal(0, 1.0, n), 1, 7),
            "will_buy_again": _likert(3.5 + 0.8 * latent + rng.normal(0, 0.8, n), 1, 5),
            "still_customer_90d": rng.random(n) < _logistic(1.6 + 0.9 * latent),
            "referred_someone": rng.random(n) < _logistic(-1.2 + 0.9 * latent),
        },
        index=answers.index,
    ).astype(
        {
            "recommend": "Int64",
            "overall_satisfaction": "Int64",
            "easy_to_deal_with": "Int64",
            "will_buy_again": "Int64",
        }
    )


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _waits(rng: np.random.Generator, people: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """Waits by brand, longer for respondents who rated the touchpoint worse
    (x 1.25 per point below 4, shorter above): waits and experience go together."""
    is_brand = (people["brand_rated"] == BRAND).to_numpy()
    waits = {}
    for column, (tp, _target, _unit, brand_mean, other_mean) in WAITS.items():
        experience = answers[f"perf_{tp}"].astype(float).to_numpy()
        mean = np.where(is_brand, brand_mean, other_mean) * 1.25 ** (
            4 - np.nan_to_num(experience, nan=4)
        )
        value = np.round(rng.gamma(3.0, mean / 3.0), 1)
        waits[column] = np.where(np.isnan(experience), np.nan, value)
    return pd.DataFrame(waits, index=people.index)


def _comments(rng, people, answers, outcomes) -> pd.DataFrame:
    n = len(people)
    text = np.full(n, None, dtype=object)
    writes = rng.random(n) < 0.35
    happy = outcomes["recommend"].to_numpy(dtype=float) >= 9
    hotline_bad = answers["perf_hotline"].astype(float).fillna(7).to_numpy() <= 3
    queue_bad = answers["perf_queue"].astype(float).fillna(7).to_numpy() <= 3
    pools = [PRAISE, COMPLAINTS["hotline"], COMPLAINTS["queue"], COMPLAINTS["other"]]
    which = np.select([happy, hotline_bad, queue_bad], [0, 1, 2], default=3)
    pick = rng.random(n)
    for k, pool in enumerate(pools):
        chosen = writes & (which == k)
        text[chosen] = np.array(pool, dtype=object)[(pick[chosen] * len(pool)).astype(int)]
    return pd.DataFrame({"comment": text}, index=people.index)


def _sprinkle_dont_know(rng, responses: pd.DataFrame) -> pd.DataFrame:
    """About 2% of expectation answers and 1% of NPS answers become code 98."""
    out = responses.copy()
    for column in [c for c in out.columns if c.startswith("exp_")] + ["recommend"]:
        rate = 0.01 if column == "recommend" else 0.02
        hit = rng.random(len(out)) < rate
        out[column] = out[column].mask(hit, DONT_KNOW)
    return out


def _web_events(rng: np.random.Generator, sessions: int) -> pd.DataFrame:
    """Sessions through the web shop funnel; the planted abandonment is at payment.

    A session may start at home, search (findability), then walks the funnel,
    continuing from one step to the next with STEP_CONTINUE's probability.
    About 1% of events are duplicated and 0.5% of sessions log a step out of
    order, as real trackers do.
    """
    start = np.datetime64("2026-04-01T00:00:00") + rng.integers(0, 183 * 86400, sessions).astype(
        "timedelta64[s]"
    )
    device = np.where(rng.random(sessions) < 0.6, "mobile", "desktop")
    rows: list[tuple[str, np.datetime64, str, str]] = []
    for s in range(sessions):
        sid = f"S{s + 1:06d}"
        steps = ["home"] + ["search"] * int(rng.poisson(0.8))
        if rng.random() < 0.8:
            steps.append("product")
            for step in FUNNEL[1:]:
                if rng.random() >= STEP_CONTINUE[step]:
                    break
                steps.append(step)
        if len(steps) > 3 and rng.random() < 0.005:
            steps[-1], steps[-2] = steps[-2], steps[-1]
        t = start[s]
        for step in steps:
            t = t + np.timedelta64(int(rng.gamma(2.0, 25.0)) + 1, "s")
            rows.append((sid, t, step, device[s]))
            if rng.random() < 0.01:
                rows.append((sid, t, step, device[s]))
    return pd.DataFrame(rows, columns=["session_id", "ts", "page_type", "device"])


def _codebook_yaml(events: bool = True) -> str:
    catalog = touchpoint_catalog()
    touchpoints = []
    for tp in TOUCHPOINTS:
        entry = {
            "id": tp,
            "label": catalog[tp]["label"],
            "stage": catalog[tp]["stage"],
            "experience": {"column": f"perf_{tp}", "scale": [1, 7]},
            "expectation": {"column": f"exp_{tp}", "scale": [1, 7]},
        }
        if tp in EMOTION_TOUCHPOINTS:
            entry["emotion"] = {"column": f"feel_{tp}", "scale": [1, 3]}
        touchpoints.append(entry)
    codebook = {
        "name": "Acme retail CX demo 2026",
        "brand": BRAND,
        "min_base": 30,
        "responses": "responses.csv",
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
        "missing": [DONT_KNOW],
        "operational": [
            {"column": c, "touchpoint": tp, "target": target, "unit": unit, "lower_is_better": True}
            for c, (tp, target, unit, _a, _b) in WAITS.items()
        ],
        "text": [{"column": "comment", "touchpoint": None}],
    }
    if events:
        codebook["events"] = {
            "file": "web_events.parquet",
            "session": "session_id",
            "step": "page_type",
            "time": "ts",
            "device": "device",
            "funnel": list(FUNNEL),
        }
    header = (
        "# Demo study written by cxresearch.make_demo_study: "
        "synthetic data, planted truth in truth.json\n"
    )
    return header + yaml.safe_dump(codebook, sort_keys=False, allow_unicode=True)


def _truth(people: pd.DataFrame, answers: pd.DataFrame) -> dict:
    names = list(PERSONAS)
    return {
        "brand": BRAND,
        "competitors": list(COMPETITORS),
        "k": len(names),
        "personas": names,
        "respondent_persona": dict(
            zip(people["respondent_id"], people["persona"].map(names.__getitem__), strict=False)
        ),
        "persona_expectation_offsets": {p: PERSONAS[p]["offsets"] for p in names},
        "driver_weights": DRIVER_WEIGHTS,
        "driver_outcome": "latent satisfaction behind nps, csat and loyalty",
        "worst_gap": {"brand": BRAND, "touchpoint": "hotline"},
        "strongest_touchpoint": {"brand": BRAND, "touchpoint": "website"},
        "advantage": {"brand": BRAND, "touchpoint": "website"},
        "disadvantage": {"brand": BRAND, "touchpoint": "hotline"},
        "abandonment_step": "payment",
        "longest_wait": {"touchpoint": "queue", "column": "wait_minutes_queue"},
        "wave_change": {
            "brand": BRAND,
            "touchpoint": "hotline",
            "experience_shift": HOTLINE_WAVE_SHIFT,
        },
    }
