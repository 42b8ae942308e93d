"""Inter-annotator agreement: what annotations say made comparable (`compare`), the figures
(`measure`: entity and relation F1, Cohen's and Fleiss' kappa) and their text and Markdown (`report`).

Label Studio Community computes none of this, and no open tool reports agreement on relations.
"""
