"""From raw scraped lyrics to clean verses.

- engine: compile rules and apply them in order until the text settles (no Django)
- spelling: spelling-normalisation rules and the shipped spelling map (no Django)
- splitter: section headers, blank lines, repeated choruses → verses (no Django)
- defaults: the default rule set, as data (installed by a data migration)
- rules: the rule set read from the database
- verses: the service that rebuilds Verse rows, keeping staff edits and exclusions
- preview: what one rule would change, without writing anything
- preview_jobs: the admin's preview within a time budget, the whole count from background work
- differences: where an edited verse and fresh cleaning differ, line by line
"""
