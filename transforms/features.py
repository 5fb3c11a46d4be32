"""Names and sizes shared by the Transform graph and the Keras model."""

# Raw features (the prepared examples' columns; see pipeline/schema/schema.pbtxt).
USER_ID = "user_id"
ITEM_ID = "item_id"
LABEL = "label"
CR = "cr"
IR = "ir"
USER_FEATURES = "user_features"
ITEM_FEATURES = "item_features"
HISTORY = "history"
RAW_STRING_FEATURES = (USER_ID, ITEM_ID, USER_FEATURES, ITEM_FEATURES, HISTORY)
USER_RAW_FEATURES = (USER_ID, USER_FEATURES, HISTORY)  # what the user_embeddings signature takes
ITEM_RAW_FEATURES = (ITEM_ID, ITEM_FEATURES)  # what the item_embeddings signature takes
# A listwise example's empty candidate place (data/tfrecords.py: ranking_queries); rank_tf_example scores it 0, no candidate.
PAD_ITEM = ""

# Transformed features.
USER_INDEX = "user_index"  # [B] int64, vocabulary index; OOV users share index vocab_size
ITEM_INDEX = "item_index"  # [B] int64, likewise for items
USER_FEATURE_INDICES = "user_feature_indices"  # [B, MAX_USER_TOKENS] int64, 0 = padding
ITEM_FEATURE_INDICES = "item_feature_indices"  # [B, MAX_ITEM_TOKENS] int64, 0 = padding
# [B, W] int64 item indices + 1, oldest first, 0 = padding: the last W history items, W = HISTORY_LENGTH (padded at
# the end), or MAX_HISTORY with Transform's whole_history (padded at the front). The recent window is its last
# HISTORY_LENGTH columns either way.
HISTORY_INDICES = "history_indices"
IS_COLD = "is_cold"  # [B] int64, 1 = at most cold_threshold positive training interactions
LABEL_FLOAT = "label_float"  # [B] float32
PINNACLE_CANDIDATES = "pinnacle_candidates"  # [B, PINNACLE_K + 1] the item's top users by Eq. 4 value, user index + 1
NEGATIVE_USERS = "negative_users"  # [B, PINNACLE_K] sampled users without positive feedback on the item, + 1
# Not made by Transform: the item's row in the prompt stage's per-item tables. It is ITEM_INDEX except for items a
# refresh added after training (trainer/refresh.py), which the frozen vocabulary sends to the OOV bucket.
ITEM_ROW = "item_row"  # [B] int64

# Vocabulary file names (tf_transform_output.vocabulary_size_by_name).
USER_VOCAB = "user_id"
ITEM_VOCAB = "item_id"
USER_TOKEN_VOCAB = "user_feature_tokens"
ITEM_TOKEN_VOCAB = "item_feature_tokens"
WARM_ITEM_VOCAB = "warm_items"

MAX_USER_TOKENS = 32
MAX_ITEM_TOKENS = 64
HISTORY_LENGTH = 20  # the recent window: the last HISTORY_LENGTH history items
MAX_HISTORY = 100  # history items serving accepts per user, and W with whole_history (the whole-history bag)
OOV_BUCKETS = 1
PINNACLE_K = 10  # k of paper §4.1.1
