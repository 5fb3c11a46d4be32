"""The recommend signature (trainer/retrieval.py, trainer/export.py) on tiny models and a stand-in Transform graph.

Its top K must be ``serving_default``'s ranking of the whole catalogue without the history: ids in that order (up
to ties), scores within 1e-5. The paper's PROMO leaves the scored user out of an item's pinnacle list, which an
index cannot: its users compared here are on no list. PROMO-LS serves no leave-one-out (trainer/promo_ls.py), so
every user is compared over the whole catalogue, training likes outside the history he sends included.
"""
import numpy as np
import pytest
import tensorflow as tf

from trainer.base_model import TowerConfig, VocabularySizes, build_two_tower
from trainer.export import embedding_functions, export_serving_model, serving_signatures
from trainer.export_test import _HashingTransform
from trainer.export_test import _TransformOutput as _HashingTransformOutput
from trainer.item_tables import ItemTables
from trainer.liker_space import liker_space
from trainer.promo_ls import LikerSpacePromo
from trainer.promo_model import PromoConfig, PromoModel
from trainer.retrieval import ITEM_IDS, SCORES, Recommender, build_recommender, catalogue_rows, collect_item_features
from transforms import features as F
from transforms.preprocessing import dense_strings

N_USERS, N_ITEMS = 12, 40
USERS = [f"u{n}" for n in range(N_USERS)]
ITEMS = [f"i{n}" for n in range(N_ITEMS)]
SIZES = VocabularySizes(users=N_USERS + 1, items=N_ITEMS + 1, user_tokens=6, item_tokens=8)
ITEM_FEATURES = [f"genre=g{n % 5} tier=t{n % 3}" if n % 7 else "" for n in range(N_ITEMS)]  # some items have none
K = 10
# Training likes: user u likes 2-7 items, drawn from a popularity skew (items 30+ are liked by nobody: cold).
_rng = np.random.default_rng(0)
LIKES = sorted({(u, int(i)) for u in range(N_USERS) for i in _rng.choice(30, 2 + u % 6, replace=False, p=np.r_[np.full(10, 0.06), np.full(20, 0.02)])})
LIKED = {u: [i for v, i in LIKES if v == u] for u in range(N_USERS)}
ON_PINNACLE_LISTS = range(6)  # PROMO's pinnacle lists hold users 0-5 only


class _VocabularyTransform(_HashingTransform):
    """preprocessing_fn's outputs from raw features: ids by vocabulary (OOV = the last row), tokens hashed."""

    def __init__(self, **kwargs):
        super().__init__(SIZES, **kwargs)
        self.vocabularies = {
            F.USER_ID: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(USERS, tf.range(N_USERS, dtype=tf.int64)), N_USERS),
            F.ITEM_ID: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(ITEMS, tf.range(N_ITEMS, dtype=tf.int64)), N_ITEMS),
        }

    def ids(self, raw, name, buckets):
        return self.vocabularies[name].lookup(dense_strings(raw[name]))

    def history(self, raw):
        history = tf.strings.split(dense_strings(raw[F.HISTORY]))[:, -F.HISTORY_LENGTH:]
        return (self.vocabularies[F.ITEM_ID].lookup(history) + 1).to_tensor(0, shape=[None, F.HISTORY_LENGTH])


class _TransformOutput(_HashingTransformOutput):
    """The methods of tft.TFTransformOutput that export_serving_model calls."""

    def transform_features_layer(self):
        return _VocabularyTransform()

    def vocabulary_by_name(self, name):
        assert name == F.ITEM_VOCAB
        return [i.encode() for i in ITEMS]


def _feature_table():
    """[items + OOV, MAX_ITEM_TOKENS]: each item's transformed feature bag, as collect_item_features keeps it."""
    raw = {F.ITEM_ID: tf.constant(ITEMS), F.ITEM_FEATURES: tf.constant(ITEM_FEATURES)}
    bags = _VocabularyTransform()(raw)[F.ITEM_FEATURE_INDICES]
    dataset = tf.data.Dataset.from_tensor_slices(({F.ITEM_INDEX: tf.range(N_ITEMS, dtype=tf.int64), F.ITEM_FEATURE_INDICES: bags},
                                                  tf.zeros(N_ITEMS))).shuffle(N_ITEMS, seed=0).batch(7)
    return collect_item_features(dataset, SIZES.items)


def _sample_batch():
    return {
        F.USER_INDEX: np.array([0, 1]), F.ITEM_INDEX: np.array([0, 1]),
        F.USER_FEATURE_INDICES: np.ones((2, F.MAX_USER_TOKENS), np.int64),
        F.ITEM_FEATURE_INDICES: np.ones((2, F.MAX_ITEM_TOKENS), np.int64),
        F.HISTORY_INDICES: np.ones((2, F.HISTORY_LENGTH), np.int64),
    }


def _model(kind: str, likes=LIKES):
    """A tiny model of ``kind`` with weights away from their initial values; (model, item_features to export with).
    PROMO-LS's liker space is built from ``likes``."""
    tf.keras.utils.set_random_seed(0)
    base = build_two_tower(SIZES, TowerConfig(8, 8, 8))
    features = _feature_table()
    if kind == "pretrain":
        return base, features
    is_cold = np.array([0] * 30 + [1] * (SIZES.items - 30))
    pinnacle = np.zeros((SIZES.items, F.PINNACLE_K + 1), np.int64)
    for item in range(N_ITEMS):
        likers = [u + 1 for u, i in LIKES if i == item and u in ON_PINNACLE_LISTS][: F.PINNACLE_K + 1]
        pinnacle[item, :len(likers)] = likers
    tables = ItemTables(pinnacle, np.zeros((SIZES.items, F.PINNACLE_K), np.int64), features, is_cold)
    rng = np.random.default_rng(1)
    if kind == "promo_ls":
        users, items = np.array(likes).T
        config = PromoConfig(variant="promo_ls", gate_all=2.0, gate_cold=1.0, offset_cold=0.5, liker_rank=4)
        model = LikerSpacePromo(base, tables, liker_space(users, items, SIZES.users, SIZES.items, 4, seed=0), config)
    else:
        model = PromoModel(base, tables, PromoConfig(variant="promo", prompt_dims=(8,), fusion_hidden=8))
    model(_sample_batch())
    for weight in model.trainable_weights:  # away from the identity prompts / zero fusion layer they start at
        weight.assign(weight + 0.3 * rng.standard_normal(weight.shape).astype(np.float32))
    return model, None


def _requests(kind: str):
    """(user_id, user_features, history) rows, and per row the items to compare over (None: the whole catalogue)."""
    rows, compare = [], []
    leave_out_free = range(N_USERS) if kind == "pretrain" else (range(6, N_USERS) if kind == "promo" else range(N_USERS))
    for u in leave_out_free:
        history = [ITEMS[i] for i in LIKED[u]] if kind == "promo_ls" else [ITEMS[i] for i in LIKED[u][:2]]
        rows.append((USERS[u], f"age={u % 3}", " ".join(history[::-1])))
        compare.append(None)
    rows.append(("never-seen", "", "i3 not-an-item i3"))  # an unknown user; an unknown and a repeated history id
    compare.append(None)
    rows.append(("u7", "", ""))  # an empty history: u7's training likes are ranked too
    compare.append(None)
    return rows, compare


def _served_ranking(signatures, user_id, user_features, history, items):
    """``items`` ranked by serving_default's score for one user: [(item, score)], highest first."""
    n = len(items)
    scores = signatures["serving_default"](
        user_id=tf.constant([user_id] * n), item_id=tf.constant(items), user_features=tf.constant([user_features] * n),
        item_features=tf.constant([ITEM_FEATURES[ITEMS.index(i)] for i in items]), history=tf.constant([history] * n),
    )["score"].numpy()
    return sorted(zip(items, scores), key=lambda pair: -pair[1])


def _recommend(signature, rows):
    columns = [tf.constant([row[n] for row in rows]) for n in range(3)]
    out = signature(user_id=columns[0], user_features=columns[1], history=columns[2])
    return [i.decode() for i in out[ITEM_IDS].numpy().ravel()], out[ITEM_IDS].numpy(), out[SCORES].numpy()


def _assert_top_k_is_the_served_ranking(signatures, rows, compare):
    _, ids, scores = _recommend(signatures["recommend"], rows)
    assert ids.shape == scores.shape == (len(rows), K)
    for row, only, row_ids, row_scores in zip(rows, compare, ids, scores):
        got = [(i.decode(), s) for i, s in zip(row_ids, row_scores)]
        history = set(row[2].split())
        assert not history & {i for i, _ in got}
        candidates = [i for i in ITEMS if i not in history and (only is None or i in only)]
        ranking = _served_ranking(signatures, *row, candidates)
        served = dict(ranking)
        if only is not None:  # the items the user liked in training are scored without leaving him out: skip them
            got = [(i, s) for i, s in got if i in only]
        assert len(got) >= K // 2
        expected = ranking[:len(got)]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
        for rank, (item, score) in enumerate(got):  # same ids in the same order, up to ties; each its served score
            assert item == expected[rank][0] or abs(served[item] - expected[rank][1]) < 1e-5, (row, rank, got, expected)
            assert abs(score - served[item]) < 1e-5


@pytest.mark.parametrize("kind", ["promo_ls", "pretrain", "promo"])
def test_recommend_is_the_top_k_of_serving_default_over_the_catalogue_without_the_history(kind):
    model, item_features = _model(kind)
    transform_output = _TransformOutput()
    recommender = build_recommender(model, embedding_functions(model)[1], transform_output, item_features, k=K)
    signatures = serving_signatures(model, transform_output, recommender)
    rows, compare = _requests(kind)
    _assert_top_k_is_the_served_ranking(signatures, rows, compare)


def test_the_index_pads_with_blanks_when_fewer_than_k_items_are_left_and_refuses_long_histories():
    vectors = np.diag([5.0, 4.0, 3.0, 2.0, 1.0]).astype(np.float32)
    index = Recommender(["a", "b", "c", "d", "e"], vectors, k=4, max_excluded=3)
    out = index(tf.ones((2, 5)), tf.constant(["b d", "e e zz"]))
    assert out[ITEM_IDS].numpy().tolist() == [[b"a", b"c", b"e", b""], [b"a", b"b", b"c", b"d"]]
    np.testing.assert_allclose(out[SCORES].numpy(), tf.sigmoid([[5.0, 3.0, 1.0, -np.inf], [5.0, 4.0, 3.0, 2.0]]).numpy())
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"history rows \[1\] hold more than 3 items"):
        index(tf.ones((2, 5)), tf.constant(["a", "a b c d"]))
    assert Recommender(["a", "b"], vectors[:2, :2], k=100).k == 2  # never more than the catalogue


def test_a_model_without_an_item_feature_table_needs_one_to_be_exported():
    base = build_two_tower(SIZES, TowerConfig(8, 8, 8))
    with pytest.raises(ValueError, match="item_feature_table"):
        build_recommender(base, embedding_functions(base)[1], _TransformOutput())


def test_the_exported_promo_ls_model_serves_recommend_from_the_saved_model_alone(tmp_path):
    from serving.client import columnar_request, parse_reply, row_request
    from serving.in_process import InProcessServer
    from serving.smoke import ops_tf_serving_lacks, smoke

    model, _ = _model("promo_ls")
    transform_output = _TransformOutput()
    export_serving_model(model, transform_output, str(tmp_path / "ls"), recommend_k=K)  # the model's own feature table
    rows, _ = _requests("promo_ls")
    in_memory = _recommend(serving_signatures(model, transform_output, model.recommender)["recommend"], rows)
    server = InProcessServer(str(tmp_path / "ls"))
    loaded = _recommend(server.model.signatures["recommend"], rows)
    assert loaded[0] == in_memory[0]
    np.testing.assert_allclose(loaded[2], in_memory[2], atol=1e-6)
    assert ops_tf_serving_lacks(str(tmp_path / "ls")) == []  # stock TF Serving runs it
    recommend = server.model.signatures["recommend"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="got lengths user_id=2, user_features=2, history=1"):
        recommend(user_id=tf.constant(["u1", "u2"]), user_features=tf.constant(["", ""]), history=tf.constant([""]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"history rows \[1\] hold more than 100 items"):
        recommend(user_id=tf.constant(["u1", "u2"]), user_features=tf.constant(["", ""]), history=tf.constant(["", " ".join(ITEMS * 3)]))
    outputs = recommend.structured_outputs
    assert {name: spec.shape.as_list() for name, spec in outputs.items()} == {ITEM_IDS: [None, K], SCORES: [None, K]}
    # The REST bodies of docs/serving.md, row and columnar, as TF Serving decodes and answers them
    requests = [dict(zip(F.USER_RAW_FEATURES, row)) for row in rows]
    for build in (row_request, columnar_request):
        replies = parse_reply(server.predict(build(requests, "recommend")), "recommend")
        assert [r["item_ids"] for r in replies] == [list(ids) for ids in np.array(loaded[0]).reshape(len(rows), K)]
        np.testing.assert_allclose([r["scores"] for r in replies], loaded[2], atol=1e-6)
    example_columns = {"timestamp": "0", "label": "1", "cr": "0.5", "ir": "1.0"}  # the tf.Example signatures parse them too
    assert smoke(str(tmp_path / "ls"), [{**r, "item_id": ITEMS[n], "item_features": ITEM_FEATURES[n], **example_columns}
                                        for n, r in enumerate(requests[:4])])


def test_the_exported_base_model_keeps_loading_as_keras_for_the_prompt_stage(tmp_path):
    model, item_features = _model("pretrain")
    export_serving_model(model, _TransformOutput(), str(tmp_path / "base"), item_features=item_features, recommend_k=K)
    loaded = tf.keras.models.load_model(str(tmp_path / "base"), compile=False)  # what trainer/promo_task.py does
    np.testing.assert_allclose(loaded(_sample_batch()).numpy(), model(_sample_batch()).numpy(), rtol=1e-6)
    rows, _ = _requests("pretrain")
    expected = _recommend(serving_signatures(model, _TransformOutput(), model.recommender)["recommend"], rows)[0]
    assert _recommend(tf.saved_model.load(str(tmp_path / "base")).signatures["recommend"], rows)[0] == expected
    # the prompt stage's ``pretrain`` variant exports the loaded base again
    export_serving_model(loaded, _TransformOutput(), str(tmp_path / "again"), item_features=item_features, recommend_k=K)
    assert _recommend(tf.saved_model.load(str(tmp_path / "again")).signatures["recommend"], rows)[0] == expected


def test_the_catalogue_is_the_vocabulary_then_the_items_a_refresh_added():
    from trainer.item_tables import added_item_rows

    class Refreshed:  # what catalogue_rows reads of a refreshed PROMO / PROMO-LS model
        new_item_rows = added_item_rows(["new-b", "new-a"], 4)  # rows after the 3 vocabulary items and the OOV row

    ids, item_index, rows = catalogue_rows(Refreshed(), ["a", "b", "c"])
    assert ids == ["a", "b", "c", "new-b", "new-a"]
    assert rows.tolist() == [0, 1, 2, 4, 5] and item_index.tolist() == [0, 1, 2, 3, 3]  # the base sees added items as OOV
    assert catalogue_rows(object(), ["a", "b"])[0] == ["a", "b"]


def test_one_promo_ls_model_serves_two_operating_points():
    """Eq. LS-6: at exposure s the served logit is the base's plus s times the liker-space term; every signature
    serves the model's exposure, recommend_cold_first the cold-first one (PromoConfig.cold_first_exposure)."""
    model, _ = _model("promo_ls")
    base_logits = model.base(_sample_batch()).numpy()
    trained = model(_sample_batch()).numpy()  # exposure 1, as trained
    model.exposure.assign(0.3)
    np.testing.assert_allclose(model(_sample_batch()).numpy(), base_logits + 0.3 * (trained - base_logits), rtol=1e-5, atol=1e-6)
    cold_first_exposure = PromoConfig().cold_first_exposure
    assert model.operating_points == {"cold_first": cold_first_exposure} and cold_first_exposure != 0.3

    transform_output = _TransformOutput()
    recommender = build_recommender(model, embedding_functions(model)[1], transform_output, k=K)
    signatures = serving_signatures(model, transform_output, recommender)
    assert set(signatures) >= {"recommend", "recommend_cold_first"}
    rows, compare = _requests("promo_ls")
    _assert_top_k_is_the_served_ranking(signatures, rows, compare)  # recommend at 0.3 = serving_default at 0.3
    cold_first = _recommend(signatures["recommend_cold_first"], rows)
    assert cold_first[0] != _recommend(signatures["recommend"], rows)[0]  # the two points rank differently
    model.exposure.assign(cold_first_exposure)
    at_one = serving_signatures(model, transform_output, recommender)
    expected = _recommend(at_one["recommend"], rows)
    assert cold_first[0] == expected[0]
    np.testing.assert_allclose(cold_first[2], expected[2], rtol=1e-5)


def _largest_int64_constant(saved_model_pb) -> int:
    """The element count of the largest int64 constant in a saved_model.pb's graph and functions."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString(saved_model_pb.read_bytes())
    graph = saved.meta_graphs[0].graph_def
    nodes = list(graph.node) + [node for function in graph.library.function for node in function.node_def]
    sizes = [int(np.prod([d.size for d in n.attr["value"].tensor.tensor_shape.dim]))
             for n in nodes if n.op == "Const" and n.attr["value"].tensor.dtype == tf.int64.as_datatype_enum]
    return max(sizes, default=0)


def test_the_served_promo_ls_model_does_not_grow_with_the_number_of_training_likes(tmp_path):
    """No per-interaction state in the SavedModel (trainer/promo_ls.py: TrainingLikes is the loss's only): the same
    users and catalogue with 27 times the training likes export to the same size, up to the names TensorFlow gives
    a second model's layers and functions in one process (~1 KB here). A table of the likes, as the export held
    before, is a constant of every like's key (and one of its values): 16 bytes a like, 4.9 KB more here."""
    many = sorted({(u, i) for u in range(N_USERS) for i in range(N_ITEMS) if (u + i) % 3})
    sizes = {}
    for likes in (LIKES[:N_USERS], many):
        tf.keras.backend.clear_session()
        model, item_features = _model("promo_ls", likes)
        assert set(model.training_likes.keys) == {u * SIZES.items + i for u, i in likes}  # what training leaves out
        folder = tmp_path / str(len(likes))
        export_serving_model(model, _TransformOutput(), str(folder), item_features=item_features, recommend_k=K)
        sizes[len(likes)] = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        assert _largest_int64_constant(folder / "saved_model.pb") < len(many)
    assert len(many) == 320 and len(LIKES[:N_USERS]) == 12
    assert abs(sizes[320] - sizes[12]) < 2048, sizes
