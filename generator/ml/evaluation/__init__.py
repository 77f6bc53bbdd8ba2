"""Measures of how well a model writes verses, computed on generated verses and, as the reference
row, on the corpus's held-out verses (issue 12). Free of Django: the service in
generator/evaluation.py feeds these modules verses and a loaded model.

One module a measure: `rhyme_density` (Malmi et al.'s rhyme density), `copying` (lines and word
sequences recited from the corpus), `nonwords`, `shape` (words per line, stubs, dropped lines),
`diversity` (distinct-2, repeated lines), `loss` (held-out loss and bits per character);
`words` is how they all read a verse, `reference` what they compare with, `writing` the recipes
that write the verses, `report` puts a row together and `table` prints rows side by side.
"""
