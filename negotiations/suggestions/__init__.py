"""Stance suggestions: pure functions over an article's text and a lexicon snapshot.

Nothing here touches the database; selectors.suggestion_lexicon() builds the snapshot and
services.suggest_statements() stores what extract_suggestions() finds.
"""

from negotiations.suggestions.extract import Suggestion, extract_suggestions
from negotiations.suggestions.lexicon import Lexicon, build_lexicon

# Stored on every suggested statement; bump it when the rules change, so that a re-run replaces
# the older suggestions.
EXTRACTOR_VERSION = "stance-cues-1"

__all__ = ["EXTRACTOR_VERSION", "Lexicon", "Suggestion", "build_lexicon", "extract_suggestions"]
