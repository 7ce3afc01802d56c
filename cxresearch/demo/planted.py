"""The demo study's planted truth: brands, personas, touchpoint qualities, driver
weights, waits, the funnel's drop-offs and the comments customers write.

Every number here is a design decision of the synthetic study; the generator
(:mod:`cxresearch.demo.study`) draws respondents from them, and
``truth.json`` records what the analyses must recover.
"""

BRAND = "Acme"
COMPETITORS = ("Brightline", "Corvex", "Duomart")
WAVES = ("2026-Q2", "2026-Q3")
TOUCHPOINTS = (
    "advertising",
    "social_media",
    "reviews",
    "website",
    "consultant",
    "store",
    "webshop",
    "queue",
    "payment",
    "delivery",
    "returns",
    "hotline",
    "help_centre",
    "loyalty_programme",
    "social_care",
)
EMOTION_TOUCHPOINTS = ("store", "webshop", "hotline")
FUNNEL = ("product", "cart", "delivery", "payment", "confirmation")
DONT_KNOW = 98

# persona: share, expectation offsets, reach changes, age profile, preferred channel
PERSONAS = {
    "Digital self-servers": dict(
        share=0.30,
        offsets=dict(
            website=1.8,
            webshop=1.8,
            payment=1.4,
            delivery=1.4,
            social_media=1.2,
            consultant=-1.6,
            store=-1.4,
            hotline=-1.2,
            queue=-0.6,
        ),
        reach=dict(webshop=0.9, store=0.35, consultant=0.25, social_media=0.8),
        ages=(0.45, 0.35, 0.15, 0.05),
        channel=(0.75, 0.05, 0.20),
    ),
    "Personal-service seekers": dict(
        share=0.25,
        offsets=dict(
            consultant=1.8,
            store=1.6,
            hotline=1.6,
            returns=1.2,
            website=-1.4,
            webshop=-1.6,
            social_media=-1.6,
            social_care=-1.0,
        ),
        reach=dict(webshop=0.25, store=0.95, consultant=0.85, hotline=0.6, social_media=0.25),
        ages=(0.05, 0.20, 0.35, 0.40),
        channel=(0.05, 0.75, 0.20),
    ),
    "Time-pressed pragmatists": dict(
        share=0.25,
        offsets=dict(
            queue=2.0,
            delivery=1.6,
            payment=1.4,
            help_centre=1.4,
            hotline=1.0,
            advertising=-1.4,
            loyalty_programme=-1.4,
            reviews=-1.0,
        ),
        reach=dict(help_centre=0.55, delivery=0.7),
        ages=(0.15, 0.50, 0.30, 0.05),
        channel=(0.35, 0.25, 0.40),
    ),
    "Deal hunters": dict(
        share=0.20,
        offsets=dict(
            loyalty_programme=2.0,
            advertising=1.6,
            reviews=1.6,
            social_care=1.0,
            consultant=-1.0,
            queue=-1.0,
            delivery=-0.8,
        ),
        reach=dict(loyalty_programme=0.85, reviews=0.9),
        ages=(0.30, 0.30, 0.25, 0.15),
        channel=(0.35, 0.30, 0.35),
    ),
}
AGE_GROUPS = ("18-29", "30-44", "45-59", "60+")
AGE_POPULATION = (0.22, 0.27, 0.27, 0.24)  # the weighting target
REGIONS = ("North", "South", "East", "West")
CHANNELS = ("online", "store", "both")

BASE_REACH = dict(
    advertising=0.9,
    social_media=0.55,
    reviews=0.7,
    website=0.85,
    consultant=0.55,
    store=0.7,
    webshop=0.6,
    queue=1.0,
    payment=0.92,
    delivery=0.5,
    returns=0.2,
    hotline=0.4,
    help_centre=0.35,
    loyalty_programme=0.45,
    social_care=0.2,
)
# brand quality: mean experience per touchpoint (competitors differ around 4.9)
QUALITY = {
    BRAND: dict(website=6.3, hotline=2.9, queue=3.6, webshop=5.4, consultant=5.0),
    "Brightline": dict(website=4.9, hotline=5.3, queue=4.9, consultant=5.4),
    "Corvex": dict(website=5.0, hotline=4.6, queue=5.3, delivery=5.4),
    "Duomart": dict(website=4.7, hotline=4.4, queue=4.8, loyalty_programme=5.5),
}
DEFAULT_QUALITY = 4.9
# true driver weights of the latent satisfaction behind NPS/CSAT/loyalty (sum 1)
DRIVER_WEIGHTS = dict(
    hotline=0.20,
    consultant=0.15,
    website=0.13,
    queue=0.11,
    delivery=0.09,
    webshop=0.08,
    store=0.065,
    payment=0.05,
    returns=0.04,
    help_centre=0.03,
    loyalty_programme=0.02,
    reviews=0.015,
    advertising=0.01,
    social_media=0.007,
    social_care=0.003,
)
HOTLINE_WAVE_SHIFT = 0.5  # the brand's hotline experience rises by this in the second wave
EFFORT_TOUCHPOINTS = ("queue", "hotline", "webshop", "payment")
WAITS = {  # column: (touchpoint, target, unit, mean for Acme, mean for competitors)
    "wait_minutes_queue": ("queue", 5, "min", 12.0, 5.5),
    "wait_minutes_hotline": ("hotline", 3, "min", 5.0, 3.0),
    "delivery_days": ("delivery", 3, "days", 2.6, 2.9),
}
STEP_CONTINUE = dict(cart=0.6, delivery=0.82, payment=0.85, confirmation=0.42)

PRAISE = (
    "The website is great, I found everything in a minute.",
    "Friendly consultant, thank you!",
    "Obsługa super, dziękuję! Fast delivery too.",
    "Prices < what I expected & the staff were > helpful.",
)
COMPLAINTS = {
    "hotline": (
        "Waited ages on the hotline and nobody called back. Call me on +48 601 234 567.",
        "Hotline kept me on hold for 20 minutes, email me at jan.kowalski@example.com",
        "The helpline transferred me three times.",
    ),
    "queue": (
        "Long queue at the till again, only one checkout open.",
        "Queues in the shop are terrible <b>every</b> Saturday.",
    ),
    "other": (
        "Delivery was late and the invoice was wrong.",
        "Could not find the returns form, please make it simpler.",
    ),
}
