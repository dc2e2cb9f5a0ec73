"""Deterministic distractors for the demo workspace: the mail, meetings and files that
surround the hand-written stories, so search has to find them among thousands.

Everything comes from one seeded `random.Random` and a seeded Faker, so the same
workspace always generates the same items. Categories: newsletters (HTML only),
receipts, tool notifications, internal threads (some sent by the main account),
customers, vendors' cold outreach, recruiters, monthly invoices with PDF attachments,
and deliberate near-misses: other Saras and Sarahs, other "financial reviews", budget
airline promotions, Turkish Airlines marketing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from faker import Faker

Item = dict[str, Any]

NEWSLETTERS = [
    (
        "The Retail Ledger",
        "editor@retailledger.news",
        ["store footfall", "loyalty programmes", "self-checkout", "click and collect", "pricing analytics"],
    ),
    (
        "Product Notes Weekly",
        "hello@productnotes.email",
        ["roadmaps", "discovery interviews", "pricing pages", "onboarding", "north-star metrics"],
    ),
    (
        "The Data Stack Digest",
        "digest@datastack.fyi",
        ["dbt models", "streaming pipelines", "warehouse costs", "data contracts", "semantic layers"],
    ),
    (
        "London Tech Jobs",
        "jobs@londontechjobs.co.uk",
        ["product roles", "design roles", "analytics roles", "engineering roles"],
    ),
    (
        "Sarah Chenoweth's Strategy Letter",
        "sarah@chenoweth.substack.com",
        ["pricing power", "marketplaces", "retail media", "unit economics"],
    ),
]
AMAZON_ORDERS = [
    "USB-C hub",
    "Noise-cancelling headphones",
    "Running socks (3 pairs)",
    "Notebook A5 dotted",
    "Laptop stand",
]
RECEIPTS: list[tuple[str, str, Callable[[random.Random], tuple[str, str]]]] = [
    (
        "Uber Receipts",
        "noreply@uber.com",
        lambda r: (
            (
                f"Your {r.choice(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])} "
                f"{r.choice(['morning', 'evening'])} trip with Uber"
            ),
            (
                f"Total GBP {r.randint(8, 46)}.{r.randint(0, 99):02d}\n"
                f"From {r.choice(['14 Hanover Street', 'St Pancras', 'Paddington', 'Shoreditch'])} "
                f"to {r.choice(['Heathrow T2', 'Marylebone', 'Canary Wharf', 'Clerkenwell'])}."
            ),
        ),
    ),
    (
        "Pret A Manger",
        "receipts@pret.co.uk",
        lambda r: (
            "Your Pret receipt",
            (
                f"Club subscription coffee, {r.choice(['Chicken Caesar baguette', 'Falafel wrap', 'Tuna sandwich'])}. "
                f"Total GBP {r.randint(3, 9)}.{r.randint(0, 99):02d}."
            ),
        ),
    ),
    (
        "Amazon.co.uk",
        "order-update@amazon.co.uk",
        lambda r: (
            f"Your Amazon.co.uk order #{r.randint(200, 299)}-{r.randint(1000000, 9999999)}",
            (
                f'Your order of "{r.choice(AMAZON_ORDERS)}" has been dispatched '
                f"and arrives {r.choice(['tomorrow', 'on Thursday', 'on Saturday'])}."
            ),
        ),
    ),
    (
        "Deliveroo",
        "noreply@deliveroo.co.uk",
        lambda r: (
            "Your Deliveroo order receipt",
            (
                f"{r.choice(['Dishoom', 'Honest Burgers', 'Wagamama', 'Franco Manca'])}: "
                f"GBP {r.randint(14, 38)}.{r.randint(0, 99):02d} including delivery."
            ),
        ),
    ),
    (
        "Trainline",
        "auto-confirm@info.thetrainline.com",
        lambda r: (
            f"Your e-ticket to {r.choice(['Manchester', 'Bristol', 'Cambridge', 'Oxford'])}",
            f"Off-peak return, GBP {r.randint(24, 96)}.{r.randint(0, 99):02d}. Show the QR code on your phone.",
        ),
    ),
    (
        "TfL Contactless",
        "noreply@tfl.gov.uk",
        lambda r: (
            "Your weekly contactless journey summary",
            (
                f"You made {r.randint(6, 18)} journeys this week. "
                f"Total charged: GBP {r.randint(18, 42)}.{r.randint(0, 99):02d} (weekly cap applied)."
            ),
        ),
    ),
]
JIRA_ISSUES = [
    "Export times out for large stores",
    "Add store cluster filter",
    "Rota view prototype",
    "Fix timezone on weekly digest",
    "Upgrade charting library",
]
GITHUB_PULL_REQUESTS = [
    "Pre-aggregate regional rollups",
    "Bump fastapi",
    "Store ranking CSV export",
    "Fix Safari login loop",
]
FIGMA_COMMENTS = [
    "Can we try the ranking as a list instead?",
    "This is the version for Thursday.",
    "Colours updated to the new tokens.",
]
TOOLS = [
    (
        "Jira",
        "jira@northwindlabs.atlassian.net",
        lambda r, p: (
            f"[JIRA] ({r.choice(['ATLAS', 'BEACON', 'PLAT'])}-{r.randint(100, 1999)}) {r.choice(JIRA_ISSUES)}",
            f"{p} changed the status to {r.choice(['In Progress', 'In Review', 'Done', 'Blocked'])}.",
        ),
    ),
    (
        "GitHub",
        "notifications@github.com",
        lambda r, p: (
            f"[northwind/atlas] {r.choice(GITHUB_PULL_REQUESTS)} (PR #{r.randint(400, 1200)})",
            f"{p} requested your review on this pull request.",
        ),
    ),
    (
        "Figma",
        "no-reply@figma.com",
        lambda r, p: (
            f'{p} commented on "{r.choice(["Atlas - regional view", "Beacon - rota concepts", "Design system v2"])}"',
            f'"{r.choice(FIGMA_COMMENTS)}"',
        ),
    ),
    (
        "Slack",
        "feedback@slack.com",
        lambda r, p: (
            "You have unread messages in Northwind Labs",
            f"{p} mentioned you in #{r.choice(['product', 'atlas-launch', 'beacon', 'random'])}.",
        ),
    ),
    (
        "LinkedIn",
        "messages-noreply@linkedin.com",
        lambda r, p: (
            r.choice(
                ["You appeared in 14 searches this week", "Your post is getting attention", f"{p} viewed your profile"]
            ),
            "See who's been looking at your profile.",
        ),
    ),
]
TOPICS = [
    "store clustering",
    "the weekly digest",
    "CSV export",
    "onboarding emails",
    "the pricing page",
    "the Q1 plan",
    "the Beacon rota view",
    "customer interviews",
    "the status page",
    "SSO for enterprise",
    "regional permissions",
    "the mobile prototype",
    "support SLAs",
    "the data retention policy",
]
MEETINGS = [
    "Customer call",
    "Sync",
    "Pricing review",
    "Analytics review",
    "Support escalation",
    "Partnership intro",
    "Demo",
    "Planning",
    "Coffee chat",
    "Webinar",
]
NEAR_MISS_PEOPLE = [
    ("Sara Lindqvist", "sara@fjordstudio.se"),
    ("Sarah Cheng", "sarah.cheng@brightwave.io"),
    ("Sara Chen", "sara.chen@talentbridge.co.uk"),
    ("Sarah Chandler", "sarah.chandler@greenleafgrocers.co.uk"),
    ("Sara Okafor", "sara.okafor@harbouroutfitters.com"),
]


@dataclass
class Generator:
    spec: Item
    workspace: Item
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.spec["seed"])
        self.fake = Faker("en_GB")
        self.fake.seed_instance(self.spec["seed"])
        self.account = self.spec["account"]
        self.domain = self.spec["domain"]
        self.start = date.fromisoformat(self.spec["start"])
        self.today = date.fromisoformat(self.workspace["today"])
        self.me = next(a for a in self.workspace["accounts"] if a["email"] == self.account)["name"]
        names = [self.person() for _ in range(24)]
        self.colleagues = [
            (name, f"{name.split()[0].lower()}.{name.split()[-1].lower()}@{self.domain}") for name in names
        ]
        self.customers = [self.fake.company() for _ in range(30)]
        self.counter = 0

    # --- helpers -----------------------------------------------------------------------
    def person(self) -> str:
        """A first and last name (Faker's `name()` adds titles such as "Dr" or "Miss")."""
        return f"{self.fake.first_name()} {self.fake.last_name()}"

    def key(self, prefix: str) -> str:
        self.counter += 1
        return f"gen-{self.account.split('@')[0]}-{prefix}-{self.counter}"

    def day(self, weekdays_only: bool = True, until: date | None = None) -> date:
        last = until or self.today
        while True:
            candidate = self.start + timedelta(days=self.rng.randrange((last - self.start).days + 1))
            if not weekdays_only or candidate.weekday() < 5:
                return candidate

    def moment(self, day: date, first_hour: int = 8, last_hour: int = 19) -> str:
        return datetime.combine(
            day, time(self.rng.randint(first_hour, last_hour - 1), self.rng.choice([0, 5, 10, 15, 20, 30, 40, 45, 50]))
        ).isoformat()

    def colleague(self) -> tuple[str, str]:
        return self.rng.choice(self.colleagues)

    @staticmethod
    def when(day: date, pattern: str) -> str:
        """A date in text, as a token the loader renders after shifting (docs/workspace-format.md)."""
        return f"{{{{{day.isoformat()}|{pattern}}}}}"

    def address(self, name: str, email: str) -> str:
        return f"{name} <{email}>"

    # --- email categories ----------------------------------------------------------------
    def newsletter(self) -> Item:
        name, email, themes = self.rng.choice(NEWSLETTERS)
        theme = self.rng.choice(themes)
        other = self.rng.choice(themes)
        headline = self.rng.choice(
            [
                f"What {theme} taught us this week",
                f"The state of {theme}",
                f"Five reads on {theme}",
                f"{theme.capitalize()}, explained",
                f"Why {theme} matters for {other}",
            ]
        )
        html = (
            f"<html><body><h1>{headline}</h1>"
            f"<p>This week: {theme}, {other} and what {self.fake.company()} did differently.</p>"
            f"<p>{self.person()} on why {theme} is harder than it looks, and a case study from {self.fake.city()}.</p>"
            f'<p><a href="https://example.org/unsubscribe">Unsubscribe</a></p></body></html>'
        )
        return {
            "key": self.key("news"),
            "from": self.address(name, email),
            "to": [self.account],
            "subject": headline,
            "date": self.moment(self.day(weekdays_only=False), 6, 9),
            "html": html,
            "labels": ["CATEGORY_PROMOTIONS"],
            "flags": ["archived"] if self.rng.random() < 0.5 else [],
        }

    def receipt(self) -> Item:
        name, email, make = self.rng.choice(RECEIPTS)
        subject, text = make(self.rng)
        return {
            "key": self.key("receipt"),
            "from": self.address(name, email),
            "to": [self.account],
            "subject": subject,
            "date": self.moment(self.day(weekdays_only=False), 7, 22),
            "text": text,
            "labels": ["CATEGORY_UPDATES"],
        }

    def notification(self) -> Item:
        name, email, make = self.rng.choice(TOOLS)
        person = self.colleague()[0]
        subject, text = make(self.rng, person)
        return {
            "key": self.key("notify"),
            "from": self.address(name, email),
            "to": [self.account],
            "subject": subject,
            "date": self.moment(self.day()),
            "text": text,
            "labels": ["CATEGORY_UPDATES"],
            "unread": self.rng.random() < 0.3,
        }

    def internal_thread(self) -> list[Item]:
        name, email = self.colleague()
        topic = self.rng.choice(TOPICS)
        subject = self.rng.choice(
            [
                f"Quick question about {topic}",
                f"Notes on {topic}",
                f"{topic.capitalize()}: proposal",
                f"Feedback on {topic}",
                f"Can we talk about {topic}?",
            ]
        )
        thread = self.key("thread")
        when = datetime.fromisoformat(self.moment(self.day()))
        first = self.fake.first_name()
        opening = self.rng.choice(
            [
                (
                    f"Hi {self.me.split()[0]},\n\n"
                    f"I've been looking at {topic} with {first} and I think we can simplify it. "
                    f"Could we take 20 minutes this week?\n\n{name.split()[0]}"
                ),
                (
                    f"Hi {self.me.split()[0]},\n\n"
                    f"Customers keep asking about {topic}. "
                    f"{self.rng.choice(self.customers)} raised it twice last week. Is it on the roadmap?\n\n"
                    f"{name.split()[0]}"
                ),
                (
                    f"Hi {self.me.split()[0]},\n\n"
                    f"Sharing my notes on {topic}: the main risk is timing, the rest looks straightforward. "
                    f"Happy to walk you through them.\n\n{name.split()[0]}"
                ),
            ]
        )
        messages = [
            {
                "key": f"{thread}-1",
                "thread": thread,
                "from": self.address(name, email),
                "to": [self.address(self.me, self.account)],
                "subject": subject,
                "date": when.isoformat(),
                "text": opening,
            }
        ]
        replies = self.rng.randint(0, 3)
        for index in range(replies):
            when += timedelta(hours=self.rng.randint(1, 30))
            mine = index % 2 == 0
            sender, recipient = (
                ((self.me, self.account), (name, email)) if mine else ((name, email), (self.me, self.account))
            )
            text = self.rng.choice(
                [
                    "Thanks, that makes sense. Let's pick it up at the next sync.",
                    f"Good point. Can you check with {self.fake.first_name()} whether it affects the Q1 plan?",
                    "Agreed. I'll add it to the list for the roadmap review.",
                    "Sounds good, I've put 20 minutes in the calendar.",
                ]
            )
            messages.append(
                {
                    "key": f"{thread}-{index + 2}",
                    "thread": thread,
                    "references": [m["key"] for m in messages],
                    "from": self.address(*sender),
                    "to": [self.address(*recipient)],
                    "subject": f"Re: {subject}",
                    "date": when.isoformat(),
                    "text": text,
                }
            )
        return messages

    def customer(self) -> Item:
        company = self.rng.choice(self.customers)
        person = self.person()
        email = f"{person.split()[0].lower()}@{company.split()[0].lower().strip(',')}.com"
        subject = self.rng.choice(
            [
                f"{company} - renewal questions",
                f"Atlas access for our regional team ({company})",
                f"Feature request from {company}",
                f"Invoice query - {company}",
                "Follow-up from our call",
            ]
        )
        asker = self.rng.choice(["Our regional managers", "Our finance team", "Our store operations team"])
        question = self.rng.choice(
            [
                "whether Atlas can group stores by region",
                "how the weekly digest is calculated",
                "if we can export rankings to Excel",
                "when SSO will be available",
            ]
        )
        text = (
            f"Hello {self.me.split()[0]},\n\nThanks for your time last week. {asker} would like to know "
            f"{question}.\n\nKind regards,\n{person}\n{company}"
        )
        return {
            "key": self.key("customer"),
            "from": self.address(person, email),
            "to": [self.account],
            "subject": subject,
            "date": self.moment(self.day()),
            "text": text,
        }

    def outreach(self) -> Item:
        person = self.person()
        company = self.fake.company()
        offer = self.rng.choice(
            [
                "cut your cloud bill by 30%",
                "automate your product analytics",
                "run user research at scale",
                "book your team offsite",
                "hire senior engineers in 2 weeks",
            ]
        )
        return {
            "key": self.key("outreach"),
            "from": self.address(person, f"{person.split()[0].lower()}@{company.split()[0].lower().strip(',')}.io"),
            "to": [self.account],
            "subject": self.rng.choice(
                [f"Quick question, {self.me.split()[0]}", f"{company} x Northwind Labs", f"Can we help you {offer}?"]
            ),
            "date": self.moment(self.day()),
            "text": (
                f"Hi {self.me.split()[0]},\n\nI lead partnerships at {company}. We help teams like yours {offer}. "
                f"Worth a 15-minute call next week?\n\n{person}"
            ),
        }

    def near_miss(self) -> Item:
        name, email = self.rng.choice(NEAR_MISS_PEOPLE)
        venue = self.rng.choice(["Retail Data Summit", "the Mind the Product meetup", "the Atlas launch drinks"])
        subject, text = self.rng.choice(
            [
                (
                    "Financial review of the Brightwave account",
                    "Quarterly usage summary: your team queried 1.2M store-days this quarter, within your plan.",
                ),
                (
                    "Q4 planning - talent market update",
                    "The market for product designers in London has cooled; salaries are flat quarter on quarter.",
                ),
                (
                    "Budget-friendly venues for your next offsite",
                    "Here are five venues under GBP 60 per head, all within an hour of London.",
                ),
                ("Invoice reminder", "A friendly reminder that our last invoice is due at the end of the month."),
                (
                    "Catching up",
                    f"It was lovely to bump into you at {venue}. Coffee soon?",
                ),
            ]
        )
        return {
            "key": self.key("nearmiss"),
            "from": self.address(name, email),
            "to": [self.account],
            "subject": subject,
            "date": self.moment(self.day()),
            "text": f"Hi {self.me.split()[0]},\n\n{text}\n\n{name.split()[0]}",
        }

    def airline_promo(self) -> Item:
        sender, subject, text = self.rng.choice(
            [
                (
                    "Turkish Airlines <miles@thy.com>",
                    "Miles&Smiles: fly to Istanbul from GBP 119",
                    "Discover Istanbul this winter. Return fares from London from GBP 119. Book by Sunday.",
                ),
                (
                    "Turkish Airlines <miles@thy.com>",
                    "Your Miles&Smiles statement",
                    f"Your balance is {self.rng.randint(4000, 9000)} miles. Miles expire after three years.",
                ),
                (
                    "easyJet <hello@easyjet.com>",
                    "Budget breaks: 3 nights in Lisbon",
                    "Low fares to the sun this winter. Seats from GBP 29.99.",
                ),
                (
                    "Ryanair <noreply@ryanair.com>",
                    "Budget fares to 40 cities this weekend",
                    "Flash sale: flights from GBP 14.99 for travel in January.",
                ),
                (
                    "British Airways <ba@email.ba.com>",
                    "Your trip to Istanbul? Add a hotel and save",
                    "Book a flight and hotel together and save up to GBP 150.",
                ),
            ]
        )
        return {
            "key": self.key("promo"),
            "from": sender,
            "to": [self.account],
            "subject": subject,
            "date": self.moment(self.day(weekdays_only=False), 8, 20),
            "html": (
                f"<html><body><p>{text}</p>"
                "<p><small>You receive this because you subscribed to offers.</small></p></body></html>"
            ),
            "labels": ["CATEGORY_PROMOTIONS"],
        }

    def recruiter(self) -> Item:
        person = self.person()
        role = self.rng.choice(
            ["VP Product", "Head of Product", "Director of Product Management", "Chief Product Officer"]
        )
        return {
            "key": self.key("recruiter"),
            "from": self.address(
                person,
                (
                    f"{person.split()[0].lower()}@"
                    f"{self.rng.choice(['hunterandpartners', 'talentbridge', 'northstarsearch'])}.co.uk"
                ),
            ),
            "to": [self.account],
            "subject": f"{role} opportunity - {self.fake.company()}",
            "date": self.moment(self.day()),
            "text": (
                f"Hi {self.me.split()[0]},\n\n"
                f"I'm working on a {role} search for a Series B retail-tech company in London. "
                "Your background with Atlas looks like a great fit. Open to a confidential chat?\n\n"
                f"{person}"
            ),
        }

    def invoices(self) -> list[Item]:
        """Monthly invoices from the data and hosting vendors, each with a real PDF."""
        found = []
        month = date(self.start.year, self.start.month, 1)
        number = 611
        while month <= self.today:
            issued = month + timedelta(days=2)
            if issued <= self.today:
                for vendor, sender, amount, prefix in (
                    ("Brightwave Analytics", "Brightwave Billing <billing@brightwave.io>", "4,500.00", "BW"),
                    (
                        "CloudNest",
                        "CloudNest Billing <invoices@cloudnest.io>",
                        f"{self.rng.randint(5900, 6600):,}.{self.rng.randint(0, 99):02d}",
                        "CN",
                    ),
                ):
                    invoice = f"{prefix}-{month.year}-{number:04d}"
                    body = (
                        f"Invoice {invoice}\nBill to: Northwind Labs Ltd, 14 Hanover Street, London W1S 1YH\n"
                        f"Period: {self.when(month, '%B %Y')}\n"
                        f"Service: {'Footfall data feed' if prefix == 'BW' else 'Hosting and managed databases'}\n"
                        f"Amount due: GBP {amount}\nPayment terms: 30 days"
                    )
                    found.append(
                        {
                            "key": self.key("invoice"),
                            "from": sender,
                            "to": [self.account],
                            "subject": f"{vendor} invoice {invoice}",
                            "date": datetime.combine(issued, time(6, 30)).isoformat(),
                            "text": (
                                f"Your invoice {invoice} for {self.when(month, '%B %Y')} is attached. "
                                f"Amount due: GBP {amount}."
                            ),
                            "labels": ["Vendors"],
                            "attachments": [
                                {
                                    "filename": f"{invoice}.pdf",
                                    "format": "pdf",
                                    "title": f"{vendor} - Invoice {invoice}",
                                    "body": body,
                                }
                            ],
                        }
                    )
                    number += 1
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return found

    def emails(self, count: int) -> list[Item]:
        found = self.invoices()
        makers: list[tuple[float, Callable[[], Item | list[Item]]]] = [
            (0.20, self.newsletter),
            (0.14, self.receipt),
            (0.24, self.notification),
            (0.16, self.internal_thread),
            (0.09, self.customer),
            (0.06, self.outreach),
            (0.04, self.near_miss),
            (0.04, self.airline_promo),
            (0.03, self.recruiter),
        ]
        weights = [w for w, _ in makers]
        # Nothing arrives after 09:00 on `today`: evaluations pin the clock at midday.
        cutoff = datetime.combine(self.today, time(9, 0))
        while len(found) < count:
            _, make = self.rng.choices(makers, weights=weights)[0]
            made = make()
            found.extend(
                m for m in (made if isinstance(made, list) else [made]) if datetime.fromisoformat(m["date"]) < cutoff
            )
        return found[:count]

    # --- events and files ----------------------------------------------------------------
    def events(self, count: int) -> list[Item]:
        found: list[Item] = []
        owners = [a["email"] for a in self.workspace["accounts"]]
        horizon = self.today + timedelta(days=28)
        while len(found) < count:
            owner = self.account if self.rng.random() < 0.8 else self.rng.choice(owners[1:] or owners)
            day = self.day(until=horizon)
            kind = self.rng.random()
            if kind < 0.06:
                summary = self.rng.choice(
                    ["Out of office", "Conference: Mind the Product", "Customer visits (Manchester)", "Training day"]
                )
                found.append(
                    {
                        "calendar": owner,
                        "summary": summary,
                        "start": day.isoformat(),
                        "end": (day + timedelta(days=1)).isoformat(),
                        "transparency": "transparent",
                    }
                )
                continue
            start = datetime.fromisoformat(self.moment(day, 9, 18))
            length = self.rng.choice([15, 30, 30, 45, 60, 60, 90])
            name, email = self.colleague()
            meeting = self.rng.choice(MEETINGS)
            subject = self.rng.choice(
                [
                    f"{meeting}: {self.rng.choice(self.customers)}",
                    f"{meeting} with {name.split()[0]}",
                    f"{meeting} - {self.rng.choice(TOPICS)}",
                    "Focus time",
                    "Lunch with " + self.fake.first_name(),
                ]
            )
            event: Item = {
                "calendar": owner,
                "summary": subject,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=length)).isoformat(),
            }
            if not subject.startswith(("Focus", "Lunch")):
                attendees = [
                    {"email": owner, "response": "accepted"},
                    {
                        "email": email,
                        "name": name,
                        "response": self.rng.choice(["accepted", "accepted", "tentative", "needsAction"]),
                    },
                ]
                if owner != self.account and self.rng.random() < 0.3:
                    attendees.append({"email": self.account, "response": "accepted"})
                event["attendees"] = attendees
                if self.rng.random() < 0.6:
                    event["meet"] = True
                else:
                    event["location"] = self.rng.choice(
                        [
                            "Room Thames, 2nd floor",
                            "Room Severn, 2nd floor",
                            "Boardroom, 3rd floor",
                            f"{self.fake.street_address()}, London",
                        ]
                    )
            found.append(event)
        return found

    def files(self, count: int) -> list[Item]:
        found: list[Item] = []
        owners = [a["email"] for a in self.workspace["accounts"]]
        while len(found) < count:
            owner = self.account if self.rng.random() < 0.75 else self.rng.choice(owners[1:] or owners)
            day = self.day()
            company = self.rng.choice(self.customers)
            kind = self.rng.choice(["document", "document", "spreadsheet", "presentation", "pdf", "docx"])
            if kind == "document":
                topic = self.rng.choice(TOPICS)
                if self.rng.random() < 0.6:
                    name = f"Notes - {company} call {self.when(day, '%-d %b')}"
                    body = (
                        f"{name}\n\nAttendees: {self.colleague()[0]}, {self.person()} ({company}).\n"
                        f"Discussed {topic} and {self.rng.choice(TOPICS)}.\n"
                        f"Next step: follow up with {company} by {self.when(day + timedelta(days=7), '%-d %B')}."
                    )
                else:
                    name = f"Proposal: {topic}"
                    body = (
                        f"{name}\n\nProblem: customers like {company} struggle with {topic}.\n"
                        "Proposal: a first version in one sprint, measured on weekly active stores.\n"
                        f"Owner: {self.colleague()[0]}."
                    )
                item = {"type": kind, "name": name, "body": body}
            elif kind == "spreadsheet":
                name = self.rng.choice(
                    [
                        f"{company} usage export",
                        f"Store list - {company}",
                        f"Weekly metrics {self.when(day, '%Y-%m-%d')}",
                    ]
                )
                rows = [["Store", "Region", "Weekly visits", "Conversion"]] + [
                    [
                        self.fake.city(),
                        self.rng.choice(["North", "South", "Midlands", "London"]),
                        str(self.rng.randint(800, 9000)),
                        f"{self.rng.randint(8, 31)}%",
                    ]
                    for _ in range(6)
                ]
                item = {"type": kind, "name": name, "rows": rows}
            elif kind == "presentation":
                name = f"QBR - {company} ({self.when(day, '%b %Y')})"
                item = {
                    "type": kind,
                    "name": name,
                    "body": (
                        f"{name}\n\nSlide 1: Usage up {self.rng.randint(3, 40)}% quarter on quarter.\n"
                        f"Slide 2: Top stores and regions.\nSlide 3: Roadmap: {self.rng.choice(TOPICS)}."
                    ),
                }
            elif kind == "pdf":
                name = self.rng.choice(
                    [
                        f"Receipt {self.rng.randint(10000, 99999)}.pdf",
                        f"{company} - signed order form.pdf",
                        f"Conference ticket {self.rng.randint(100, 999)}.pdf",
                    ]
                )
                item = {
                    "type": kind,
                    "name": name,
                    "title": name[:-4],
                    "body": (
                        f"{name[:-4]}\nIssued {self.when(day, '%-d %B %Y')} to Northwind Labs Ltd.\n"
                        f"Amount: GBP {self.rng.randint(40, 9000)}.00"
                    ),
                }
            else:
                topic = self.rng.choice(TOPICS)
                name = f"{self.rng.choice(['Brief', 'Interview guide', 'Research plan'])} - {topic}.docx"
                item = {
                    "type": kind,
                    "name": name,
                    "body": (
                        f"Goal: understand {topic}.\n\n"
                        "Questions: how do store managers use it today? What would make them switch?"
                    ),
                }
            item.update(
                owner=owner,
                modified=self.moment(day),
                created=self.moment(
                    day - timedelta(days=self.rng.randint(0, 30)) if day - timedelta(days=30) > self.start else day
                ),
            )
            if owner != self.account and self.rng.random() < 0.6:
                item["shared_with"] = [
                    {"email": self.account, "role": self.rng.choice(["reader", "writer", "commenter"])}
                ]
            found.append(item)
        return found


def generate(workspace: Item) -> dict[str, list[Item]]:
    """The `generate` section's distractors in the workspace format (before shifting)."""
    spec = workspace["generate"]
    generator = Generator(spec, workspace)
    generated = {
        "emails": generator.emails(int(spec.get("emails", 0))),
        "events": generator.events(int(spec.get("events", 0))),
        "files": generator.files(int(spec.get("files", 0))),
    }
    others = [a["email"] for a in workspace["accounts"] if a["email"] != spec["account"]]
    for index, email in enumerate(others, start=1):
        colleague = Generator({**spec, "seed": spec["seed"] + index, "account": email}, workspace)
        generated["emails"] += colleague.emails(int(spec.get("colleague_emails", 0)))
    return generated
