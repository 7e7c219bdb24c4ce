"""Assessment of government units (考核评估): schemes, scoring rules, ranking, weighting methods, sampled verification."""
