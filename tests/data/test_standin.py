import pytest
import torch
from ganrepro import data


def test_standin_shape_range_and_label():
    s = data.build("standin_images", seed=0, image_size=32, channels=3, num_classes=10, n=64)
    x = s.sample(16)
    assert x.shape == (16, 3, 32, 32)
    assert x.min() >= -1 and x.max() <= 1
    assert s.provenance.startswith("stand-in")
    assert sorted(s.labels.unique().tolist()) == list(range(10))


def test_standin_pool_ignores_run_seed_but_order_does_not():
    a = data.build("standin_images", seed=0, n=64)
    b = data.build("standin_images", seed=1, n=64)
    assert torch.equal(a.images, b.images)  # same data for every run of a smoke DAG
    assert not torch.equal(a.sample(8), b.sample(8))  # but each seed reads it in its own order


def test_non_square_standin():
    s = data.build("standin_images", seed=0, image_size=[64, 48], channels=3, n=16)
    assert s.sample(4).shape == (4, 3, 64, 48)


def test_epochs_cover_each_item_once_and_state_resumes():
    s = data.build("standin_images", seed=0, n=40)
    first_epoch = torch.cat([s.sample(16) for _ in range(2)])  # 32 of 40 items; tail of 8 dropped
    assert len({x.sum().item() for x in first_epoch}) == 32
    state = s.state_dict()
    nxt = [s.sample(16) for _ in range(5)]
    assert s.epoch >= 1
    t = data.build("standin_images", seed=0, n=40)
    t.load_state_dict(state)
    assert all(torch.equal(a, t.sample(16)) for a in nxt)


def test_batch_larger_than_dataset_is_a_clear_error():
    s = data.build("standin_images", seed=0, n=8)
    with pytest.raises(ValueError, match="larger than the dataset"):
        s.sample(16)
