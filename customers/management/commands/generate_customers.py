"""`manage.py generate_customers N`: create N realistic fake customers for demos and benchmarks.

Writes customers and addresses to one store through the bulk write service
(`customer_bulk_upsert`), in batches. The data hangs together per store: the store's country
(its code, when that is a country this command knows; else Germany) gives the Faker locale of
names and streets and a list of real cities with their postcodes; first name, gender and
salutation agree. Faker fills small pools once; rows combine them, and emails and phone
numbers embed a sequence number, so they are unique.
"""

import random
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.core.management.base import CommandError
from faker import Faker

from customers.errors import StoreNotFound
from customers.management.endings import OperatorCommand
from customers.models import Customer
from customers.selectors import store_get
from customers.services import (
    BulkStatus,
    customer_bulk_row,
    customer_bulk_upsert,
    customer_groups_known,
)
from customers.validation import store_phone_region

POOL_SIZE = 500
# One hash stands for "a password was imported": generated customers cannot log in with it.
DEMO_PASSWORD_HASH = "pbkdf2_sha256$1000000$generated0000000000000$" + "A" * 43 + "="


def _ascii(name: str) -> str:
    """`Müller-Lüdenscheidt` -> `muellerluedenscheidt`: a name as an email's local part."""
    folded = unicodedata.normalize("NFKD", name.replace("ü", "ue").replace("ö", "oe"))
    return re.sub(r"[^a-z0-9]", "", folded.replace("ä", "ae").lower()) or "customer"


@dataclass(frozen=True)
class CountryProfile:
    """What a store's customers look like: a Faker locale and real cities of the country."""

    locale: str
    # (city, a real postcode of it); postcodes keep the country's own shape.
    places: tuple[tuple[str, str], ...]


COUNTRIES = {
    "DE": CountryProfile(
        "de_DE",
        (
            ("Berlin", "10115"),
            ("Hamburg", "20095"),
            ("München", "80331"),
            ("Köln", "50667"),
            ("Frankfurt am Main", "60311"),
            ("Stuttgart", "70173"),
            ("Düsseldorf", "40213"),
            ("Leipzig", "04109"),
            ("Dresden", "01067"),
            ("Hannover", "30159"),
        ),
    ),
    "AT": CountryProfile(
        "de_AT",
        (
            ("Wien", "1010"),
            ("Graz", "8010"),
            ("Linz", "4020"),
            ("Salzburg", "5020"),
            ("Innsbruck", "6020"),
            ("Klagenfurt", "9020"),
        ),
    ),
    "CH": CountryProfile(
        "de_CH",
        (
            ("Zürich", "8001"),
            ("Basel", "4051"),
            ("Bern", "3011"),
            ("Luzern", "6003"),
            ("St. Gallen", "9000"),
        ),
    ),
    "FR": CountryProfile(
        "fr_FR",
        (
            ("Paris", "75001"),
            ("Lyon", "69001"),
            ("Marseille", "13001"),
            ("Toulouse", "31000"),
            ("Nice", "06000"),
            ("Bordeaux", "33000"),
            ("Lille", "59000"),
        ),
    ),
    "GB": CountryProfile(
        "en_GB",
        (
            ("London", "SW1A 1AA"),
            ("Manchester", "M1 1AE"),
            ("Birmingham", "B1 1BB"),
            ("Leeds", "LS1 1UR"),
            ("Glasgow", "G1 1XQ"),
            ("Bristol", "BS1 4DJ"),
        ),
    ),
}
DEFAULT_COUNTRY = "DE"

# Who the salutations belong to (SPEC 1.2: `Mr`, `Mrs`, `Ms`, `Dr` or empty).
SALUTATIONS = {"Male": ("Mr",), "Female": ("Mrs", "Ms"), None: ("",)}


def store_country(store_code: str) -> str:
    """The country of a store: its code when that is a country we have data for."""
    return store_code if store_code in COUNTRIES else DEFAULT_COUNTRY


def _one_line(text: str) -> str:
    # Faker joins some address parts with newlines; an address line is one line.
    return " ".join(text.split())


class Command(OperatorCommand):
    help = "Create N fake customers (with addresses) for demos and benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="How many customers to create.")
        parser.add_argument("--store", help="Store code (default: the default store).")
        parser.add_argument(
            "--addresses-per-customer",
            type=float,
            default=1,
            metavar="K",
            help="Addresses per customer on average (1.5: half of them get two).",
        )
        parser.add_argument("--seed", type=int, default=None, help="Seed for repeatable data.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        count, per_customer = options["count"], options["addresses_per_customer"]
        if count < 0 or per_customer < 0 or options["batch_size"] < 1:
            raise CommandError(
                "count and --addresses-per-customer must be >= 0, --batch-size >= 1.",
                returncode=2,
            )
        try:
            store = store_get(code=options["store"])
        except StoreNotFound:
            raise CommandError(f"Unknown store {options['store']!r}.", returncode=2) from None

        seed = options["seed"] if options["seed"] is not None else random.randrange(10**6)
        country = store_country(store.code)
        profile = COUNTRIES[country]
        faker = Faker(profile.locale)
        Faker.seed(seed)
        rng = random.Random(seed)
        pools = {
            "Male": [_one_line(faker.first_name_male()) for _ in range(POOL_SIZE)],
            "Female": [_one_line(faker.first_name_female()) for _ in range(POOL_SIZE)],
            "last_name": [_one_line(faker.last_name()) for _ in range(POOL_SIZE)],
            "street": [_one_line(faker.street_name()) for _ in range(POOL_SIZE)],
            "company": [_one_line(faker.company()) for _ in range(POOL_SIZE)],
            "country": country,
            "places": profile.places,
        }
        # Emails and numbers carry the seed and a sequence number, so a run never repeats
        # itself; another run with the same seed collides and those rows are skipped.
        run = f"{seed:06d}"
        started = time.monotonic()
        created = skipped = 0
        group_ids = customer_groups_known()
        phone_region = store_phone_region(store)
        for first in range(0, count, options["batch_size"]):
            numbers = range(first, min(count, first + options["batch_size"]))
            rows = [
                customer_bulk_row(
                    self._customer(rng, pools, run, n, per_customer),
                    group_ids=group_ids,
                    phone_region=phone_region,
                )
                for n in numbers
            ]
            # Every row is new but for a rerun with the same seed: inserted first, the
            # unique constraints catch such a batch and it is matched and skipped.
            results = customer_bulk_upsert(store=store, rows=rows, expect_new=True)
            done = sum(result.status == BulkStatus.CREATED for result in results)
            created += done
            skipped += len(results) - done
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"{created} created, {skipped} skipped ({created / elapsed:,.0f} rows/s)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {created} customers in store {store.code}"
                f" ({skipped} skipped as duplicates), seed {seed}."
            )
        )

    @staticmethod
    def _customer(rng, pools, run, number, per_customer):
        gender = rng.choice(["Male", "Female", None])
        first_name = rng.choice(pools[gender or rng.choice(["Male", "Female"])])
        last_name = rng.choice(pools["last_name"])
        fields = {
            "email": f"{_ascii(first_name)}.{_ascii(last_name)}.{run}{number}@example.com",
            "first_name": first_name,
            "last_name": last_name,
            "salutation": rng.choice(SALUTATIONS[gender]),
            "gender": gender,
            "state": rng.choices(
                [
                    Customer.State.ENABLED,
                    Customer.State.INVITED,
                    Customer.State.DISABLED,
                ],
                weights=[85, 10, 5],
            )[0],
            "accepts_marketing": rng.random() < 0.4,
        }
        if fields["accepts_marketing"]:
            fields["marketing_optin_level"] = rng.choice(["single_opt_in", "confirmed_opt_in"])
        if rng.random() < 0.8:
            year = rng.randint(1940, 2006)
            fields["date_of_birth"] = date(year, rng.randint(1, 12), rng.randint(1, 28))
        # 8-digit subscriber numbers: Berlin landlines, German mobiles; all valid numbers.
        sequence = (int(run) * 7919 + number) % 90_000_000 + 10_000_000
        if rng.random() < 0.5:
            fields["phone"] = f"+49 30 {sequence}"
        if rng.random() < 0.3:
            fields["mobile"] = f"+49 151 {sequence}"
        addresses = []
        whole = int(per_customer)
        for _ in range(whole + (rng.random() < per_customer - whole)):
            city, postcode = rng.choice(pools["places"])
            address = {
                "first_name": first_name,
                "last_name": last_name,
                "address1": f"{rng.choice(pools['street'])} {rng.randint(1, 120)}",
                "postcode": postcode,
                "city": city,
                "country": pools["country"],
            }
            if rng.random() < 0.1:
                address["company"] = rng.choice(pools["company"])
            addresses.append(address)
        return {"password_hash": DEMO_PASSWORD_HASH, "addresses": addresses, **fields}
