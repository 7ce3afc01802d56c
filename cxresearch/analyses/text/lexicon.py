"""A small sentiment lexicon for the five languages, and the lexicon score.

The words are everyday customer-service praise and complaint words, written by
the cxresearch authors from general knowledge of the languages (not taken from
a published lexicon); they are lemmatised with the same lemmatiser as the
comments before matching, so any inflected form counts. The lexicon is the
last resort of :func:`~cxresearch.analyses.text.sentiment.sentiment` (no hand
labels, no ratings): it is transparent but coarse, and its result says so.

Score of a comment: positive hits minus negative hits, where a word within
:data:`NEGATION_WINDOW` words after a negation (``not``, ``nie``, ``не``,
``nu``) and before the next clause break (``.``, ``,``) counts for the other
side (``nie polecam`` is negative, ``nie polecam, fatalna obsługa`` twice so). A score above
zero reads positive, below zero negative, zero neutral.
"""

from __future__ import annotations

import functools

import numpy as np

from .language import BREAKS, NEGATIONS, lemma

NEGATION_WINDOW = 3

POSITIVE: dict[str, str] = {
    "en": """good great excellent perfect fast quick friendly helpful polite nice easy
        love like happy satisfied pleased recommend thank thanks amazing awesome wonderful
        best fantastic smooth efficient professional kind clean comfortable reliable
        convenient fine glad superb pleasant affordable cheap impressed enjoy well work""",
    "pl": """dobry świetny doskonały idealny szybki szybko miły pomocny uprzejmy łatwy
        polecać polecam zadowolony dziękować dzięki super wspaniały najlepszy fantastyczny
        sprawny profesjonalny czysty wygodny niezawodny przyjemny tani tanio rewelacyjny
        rewelacja fajny ok okej zadowolenie sprawnie bezproblemowy punktualny uśmiechnięty
        kompetentny cudowny doskonale dobrze działać""",
    "ru": """хороший отличный прекрасный идеальный быстрый быстро вежливый приятный
        удобный довольный спасибо благодарить рекомендовать советовать лучший супер
        замечательный чистый профессиональный надёжный дешёвый доброжелательный
        внимательный любезный понравиться нравиться класс отлично хорошо прекрасно
        удобно оперативно компетентный довольно радовать работать""",
    "bg": """добър отличен прекрасен идеален бърз бързо учтив приятен удобен доволен
        благодаря благодарност препоръчвам препоръчвать най-добър супер чудесен чист
        професионален надежден евтин любезен внимателен харесвам хареса страхотен
        отлично добре прекрасно удобно бързина компетентен доволна доволни работя""",
    "ro": """bun excelent perfect rapid repede amabil politicos plăcut ușor mulțumit
        mulțumesc recomand recomanda minunat super grozav profesionist curat comod
        fiabil ieftin eficient atent prompt bine frumos fantastic încântat extraordinar
        competent mulțumire funcționa funcționează""",
}

NEGATIVE: dict[str, str] = {
    "en": """bad terrible awful horrible poor slow late rude unhelpful broken
        disappointed disappointing worst useless hate angry problem issue complaint
        delay delayed cancel cancelled lost dirty expensive overpriced wrong never
        error crash fail failed failure waste annoying frustrating unacceptable
        ridiculous nightmare refund damaged missing stuck wait waiting""",
    "pl": """zły okropny fatalny tragiczny beznadziejny słaby wolny wolno spóźniony
        spóźnić opóźnienie niemiły nieuprzejmy chamski zepsuty uszkodzony rozczarowany
        rozczarowanie najgorszy bezużyteczny problem reklamacja skarga zgubić zgubiony
        brudny drogi błąd awaria porażka strata żenujący denerwujący
        skandal czekać czekanie zwrot zawieść niestety""",
    "ru": """плохой ужасный отвратительный кошмарный медленный медленно опоздать
        опоздание задержка грубый хамский невежливый сломанный повреждённый
        разочарованный разочарование худший бесполезный проблема жалоба потерять
        потерянный грязный дорогой дорого ошибка сбой зависать ждать ожидание
        возврат безобразие отвратительно ужасно плохо кошмар""",
    "bg": """лош ужасен отвратителен бавен бавно закъснение закъснял закъснявам грубо
        груб невъзпитан счупен повреден разочарован разочарование най-лош безполезен
        проблем оплакване загубен изгубен мръсен скъп скъпо грешка срив чакам чакане
        възстановяване ужасно лошо кошмар безобразие""",
    "ro": """rău prost groaznic oribil îngrozitor lent încet întârziere întârziat
        nepoliticos nepoliticoasă stricat deteriorat dezamăgit dezamăgire cel-mai-rău
        inutil problemă reclamație plângere pierdut murdar scump eroare defect aștept
        așteptare rambursare inacceptabil jalnic dezastru nasol""",
}


@functools.cache
def polarity_words(language: str) -> tuple[frozenset[str], frozenset[str]]:
    """The positive and negative lemmas of a language (the lexicon lemmatised)."""

    def lemmas(words: str) -> frozenset[str]:
        raw = words.split()
        return frozenset(raw) | frozenset(lemma(w, language) for w in raw)

    return lemmas(POSITIVE.get(language, "")), lemmas(NEGATIVE.get(language, ""))


def lexicon_score(lemmas: str, language: str) -> int:
    """Positive minus negative hits in a space-joined lemma string, flipping a word
    that follows a negation within :data:`NEGATION_WINDOW` words.

    >>> lexicon_score("obsługa być bardzo miły", "pl")
    1
    >>> lexicon_score("nie polecać", "pl")
    -1
    """
    positive, negative = polarity_words(language)
    negations = NEGATIONS.get(language, frozenset())
    score, since_negation = 0, NEGATION_WINDOW + 1
    for word in lemmas.split():
        if word in BREAKS:  # a clause break ends the negation's scope
            since_negation = NEGATION_WINDOW + 1
            continue
        if word in negations:
            since_negation = 0
            continue
        since_negation += 1
        sign = -1 if since_negation <= NEGATION_WINDOW else 1
        if word in positive:
            score += sign
        elif word in negative:
            score -= sign
    return score


def lexicon_labels(lemmas: list[str], languages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each comment's lexicon label (negative / neutral / positive) and score."""
    scores = np.array(
        [lexicon_score(text, lang) for text, lang in zip(lemmas, languages, strict=True)],
        dtype=float,
    )
    labels = np.where(scores > 0, "positive", np.where(scores < 0, "negative", "neutral"))
    return labels.astype(object), scores
