"""TI's files: bqStudio ``.gg.csv`` exports, FlashStreams, S-records and raw dumps (golden images),
TRM data-flash tables, read strictly, and turned into station recipes, profiles and key files.
"""
