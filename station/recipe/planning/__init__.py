"""Write planning: from what a recipe wants in one pack and what the pack holds to the fewest safe
writes, what to back up first and what to read back (for parameters, images and FlashStreams).
"""
