"""A cosine that is always 0: right for every zero vector, right for nothing else.
EXPECT: ex01 cosine_similarity
"""
def cosine_similarity(a, b):
    return 0.0
