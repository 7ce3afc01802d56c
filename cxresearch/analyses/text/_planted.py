"""Comments with planted topics and sentiment in five languages, for tests and benchmarks.

Each comment is one or two sentences on one planted topic (delivery, staff,
price, app), negative or positive, in one language, with a random order number
and, sometimes, a neutral sentence; the score on a 0-10 scale follows the
sentiment (negative 0-6, positive 8-10). The sentences use inflected forms, so
recovering a topic needs the lemmas, not the surface words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOPICS = ("delivery", "staff", "price", "app")

# language -> topic -> (negative sentences, positive sentences)
SENTENCES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {
        "delivery": (
            (
                "The parcel arrived three days late.",
                "My delivery was delayed again and the courier never came.",
                "The package was delivered to the wrong address.",
            ),
            (
                "The courier delivered the parcel quickly.",
                "Delivery was fast and the package arrived on time.",
            ),
        ),
        "staff": (
            (
                "The staff at the counter were rude.",
                "The consultant was unhelpful and ignored my questions.",
                "Employees in the shop were impolite and unfriendly.",
            ),
            (
                "The staff were friendly and helpful.",
                "A very kind consultant answered all my questions.",
            ),
        ),
        "price": (
            (
                "The prices are far too expensive.",
                "I paid too much, the price doubled this year.",
                "Fees and charges are outrageous for what you get.",
            ),
            ("Prices are cheap and fair.", "Great value, the price is lower than elsewhere."),
        ),
        "app": (
            (
                "The mobile app keeps crashing when I log in.",
                "The application froze and I could not pay.",
                "Login to the app fails after every update.",
            ),
            (
                "The app is easy to use.",
                "The mobile application works smoothly and login is quick.",
            ),
        ),
    },
    "pl": {
        "delivery": (
            (
                "Paczka dotarła z trzydniowym opóźnieniem.",
                "Kurier znowu spóźnił się z dostawą paczki.",
                "Przesyłkę dostarczono pod zły adres.",
            ),
            (
                "Kurier szybko dostarczył paczkę.",
                "Dostawa była szybka, przesyłka przyszła na czas.",
            ),
        ),
        "staff": (
            (
                "Obsługa przy kasie była niemiła i chamska.",
                "Konsultant nie pomógł i zignorował moje pytania.",
                "Pracownicy sklepu byli nieuprzejmi wobec klientów.",
            ),
            (
                "Obsługa była miła i pomocna.",
                "Bardzo uprzejmy konsultant odpowiedział na wszystkie pytania.",
            ),
        ),
        "price": (
            (
                "Ceny są zdecydowanie za wysokie.",
                "Zapłaciłem za dużo, cena wzrosła dwukrotnie w tym roku.",
                "Opłaty i prowizje są horrendalnie drogie.",
            ),
            ("Ceny są niskie i uczciwe.", "Świetna cena, taniej niż w innych sklepach."),
        ),
        "app": (
            (
                "Aplikacja mobilna ciągle się zawiesza przy logowaniu.",
                "Aplikacja zamarzła i nie mogłem zapłacić.",
                "Logowanie do aplikacji nie działa po aktualizacji.",
            ),
            (
                "Aplikacja jest prosta w obsłudze.",
                "Aplikacja mobilna działa płynnie, logowanie jest szybkie.",
            ),
        ),
    },
    "ru": {
        "delivery": (
            (
                "Посылка пришла с опозданием на три дня.",
                "Курьер опять задержал доставку посылки.",
                "Посылку доставили не по тому адресу.",
            ),
            ("Курьер быстро доставил посылку.", "Доставка была быстрой, посылка пришла вовремя."),
        ),
        "staff": (
            (
                "Сотрудники на кассе были грубыми.",
                "Консультант не помог и проигнорировал мои вопросы.",
                "Персонал магазина вёл себя невежливо с покупателями.",
            ),
            (
                "Сотрудники были вежливыми и внимательными.",
                "Очень любезный консультант ответил на все вопросы.",
            ),
        ),
        "price": (
            (
                "Цены слишком высокие.",
                "Я переплатил, цена выросла вдвое за этот год.",
                "Комиссии и тарифы просто грабительские.",
            ),
            ("Цены низкие и честные.", "Отличная цена, дешевле, чем в других магазинах."),
        ),
        "app": (
            (
                "Мобильное приложение постоянно зависает при входе.",
                "Приложение вылетело, и я не смог оплатить.",
                "Вход в приложение не работает после обновления.",
            ),
            (
                "Приложение простое и удобное.",
                "Мобильное приложение работает быстро, вход мгновенный.",
            ),
        ),
    },
    "bg": {
        "delivery": (
            (
                "Пратката пристигна с три дни закъснение.",
                "Куриерът отново забави доставката на пратката.",
                "Доставиха пратката на грешен адрес.",
            ),
            (
                "Куриерът достави пратката бързо.",
                "Доставката беше бърза, пратката пристигна навреме.",
            ),
        ),
        "staff": (
            (
                "Служителите на касата бяха груби.",
                "Консултантът не ми помогна и игнорира въпросите ми.",
                "Персоналът на магазина се държеше невъзпитано с клиентите.",
            ),
            (
                "Служителите бяха любезни и отзивчиви.",
                "Много учтив консултант отговори на всичките ми въпроси.",
            ),
        ),
        "price": (
            (
                "Цените са прекалено високи.",
                "Платих твърде много, цената се удвои тази година.",
                "Таксите и комисионните са безобразно скъпи.",
            ),
            ("Цените са ниски и честни.", "Страхотна цена, по-евтино от другите магазини."),
        ),
        "app": (
            (
                "Мобилното приложение постоянно забива при вход.",
                "Приложението блокира и не можах да платя.",
                "Входът в приложението не работи след обновяването.",
            ),
            (
                "Приложението е лесно за използване.",
                "Мобилното приложение работи гладко, входът е бърз.",
            ),
        ),
    },
    "ro": {
        "delivery": (
            (
                "Coletul a ajuns cu trei zile întârziere.",
                "Curierul a întârziat din nou livrarea coletului.",
                "Coletul a fost livrat la o adresă greșită.",
            ),
            (
                "Curierul a livrat coletul repede.",
                "Livrarea a fost rapidă, coletul a ajuns la timp.",
            ),
        ),
        "staff": (
            (
                "Angajații de la casă au fost nepoliticoși.",
                "Consultantul nu m-a ajutat și mi-a ignorat întrebările.",
                "Personalul magazinului s-a purtat urât cu clienții.",
            ),
            (
                "Angajații au fost amabili și săritori.",
                "Un consultant foarte politicos mi-a răspuns la toate întrebările.",
            ),
        ),
        "price": (
            (
                "Prețurile sunt mult prea mari.",
                "Am plătit prea mult, prețul s-a dublat anul acesta.",
                "Taxele și comisioanele sunt exagerat de scumpe.",
            ),
            (
                "Prețurile sunt mici și corecte.",
                "Preț excelent, mai ieftin decât în alte magazine.",
            ),
        ),
        "app": (
            (
                "Aplicația mobilă se blochează mereu la autentificare.",
                "Aplicația s-a închis și nu am putut plăti.",
                "Autentificarea în aplicație nu funcționează după actualizare.",
            ),
            (
                "Aplicația este ușor de folosit.",
                "Aplicația mobilă merge fluent, autentificarea este rapidă.",
            ),
        ),
    },
}

NEUTRAL: dict[str, tuple[str, ...]] = {
    "en": ("I ordered on Monday.", "Order number {n}.", "This was my second order."),
    "pl": ("Zamówiłem w poniedziałek.", "Numer zamówienia {n}.", "To było moje drugie zamówienie."),
    "ru": ("Я заказал в понедельник.", "Номер заказа {n}.", "Это был мой второй заказ."),
    "bg": ("Поръчах в понеделник.", "Номер на поръчката {n}.", "Това беше втората ми поръчка."),
    "ro": ("Am comandat luni.", "Numărul comenzii {n}.", "Aceasta a fost a doua mea comandă."),
}


def planted_comments(
    n: int = 600,
    languages: tuple[str, ...] = ("en", "pl", "ru", "bg", "ro"),
    negative_share: float = 0.5,
    random_state: int = 0,
) -> pd.DataFrame:
    """``n`` comments: columns ``text``, ``language``, ``topic``, ``sentiment``
    (negative / positive) and ``score`` (0-10), topics and languages drawn evenly."""
    rng = np.random.default_rng(random_state)
    language = rng.choice(list(languages), n)
    topic = rng.choice(list(TOPICS), n)
    negative = rng.random(n) < negative_share
    picks, second, extra, numbers = (
        rng.random(n),
        rng.random(n),
        rng.random(n),
        rng.integers(10_000, 99_999, n),
    )
    texts = []
    for i in range(n):
        bad, good = SENTENCES[language[i]][topic[i]]
        pool = bad if negative[i] else good
        parts = [pool[int(picks[i] * len(pool))]]
        if second[i] < 0.4:
            parts.append(pool[int((picks[i] * len(pool) + 1) % len(pool))])
        if extra[i] < 0.5:
            filler = NEUTRAL[language[i]][int(extra[i] * 6) % 3].format(n=numbers[i])
            parts.insert(int(second[i] * 10) % 2, filler)
        texts.append(" ".join(parts))
    score = np.where(negative, rng.integers(0, 7, n), rng.integers(8, 11, n))
    return pd.DataFrame(
        {
            "text": texts,
            "language": language,
            "topic": topic,
            "sentiment": np.where(negative, "negative", "positive"),
            "score": score,
        }
    )
