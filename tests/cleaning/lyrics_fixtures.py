"""Invented lyrics with the clutter a Genius scrape carries (written for these tests, never
copied from a real song)."""

from __future__ import annotations

CLUTTERED_SONG = """\
14 ContributorsTranslationsEspañolMidnight Paper Chase Lyrics[Intro: Lil Example]
Yeah, uh (x2)

[Verse 1: Lil Example & Big Sample]
I been gettin\u2019 money since the bus stop days\u00a0\u00a0
Nothin\u2019 in my pocket but a dream \u2014 and a phrase
Produced by Made Up Beats
Peep the site at https://example.test/track?id=7 tonight
You might also like[Chorus]
We ridin\u2019 through the night, yeah
We ridin\u2019 through the night


[Verse 2: Big Sample]
\u201cCuz I\u2019m GETTIN\u2019 it,\u201d I told \u2019em [?]
*laughs* Yall know the ways\u00ae\u2026

[Chorus]
We ridin\u2019 through the night, yeah
We ridin\u2019 through the night
Written by Nobody Real
\u00a9 2021 Invented Records\u00ae
See Lil Example LiveGet tickets as low as $35
42Embed"""

CLEAN_VERSES = [
    ("Intro", "Yeah, uh"),
    (
        "Verse 1",
        "I been getting money since the bus stop days\n"
        "Nothing in my pocket but a dream - and a phrase\n"
        "Peep the site at tonight",
    ),
    ("Chorus", "We riding through the night, yeah\nWe riding through the night"),
    ("Verse 2", "\"'Cause I'm GETTING it,\" I told 'em\nY'all know the ways..."),
]

HEADERLESS_SONG = """\
Cold coffee on the counter and the rent is due
Every landlord in the city got a grudge or two

Bus fare in my sneaker and a verse in my head
Writing on receipts till the ink runs red

Cold coffee on the counter and the rent is due
Every landlord in the city got a grudge or two"""
