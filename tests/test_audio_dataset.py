"""audio_dataset_from_directory on a small folder of WAV files written with `wave`: values,
padding, truncation, labels, splits, resampling and errors."""
import wave

import numpy as np
import pytest

from lamina import utils
from lamina.utils.dataset import Dataset


def _write(path, samples, rate=8000, width=2):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        if width == 2:
            f.writeframes(samples.astype("<i2").tobytes())
        else:
            f.writeframes((samples + 128).astype(np.uint8).tobytes())


@pytest.fixture
def audio_dir(tmp_path):
    for c, cls in enumerate(["bird", "cat"]):
        (tmp_path / cls).mkdir()
        for i in range(3):
            n = 5 + 2 * i + c
            samples = (np.arange(n * 1)[:, None] * 1000 + 100 * c).astype(np.int16)
            _write(tmp_path / cls / f"{i}.wav", samples)
    (tmp_path / "cat" / "notes.txt").write_text("not audio")
    return tmp_path


def test_values_labels_and_padding(audio_dir):
    ds = utils.audio_dataset_from_directory(audio_dir, batch_size=6, shuffle=False, verbose=False)
    assert ds.class_names == ["bird", "cat"]
    (x, y), = list(ds)
    assert x.dtype == np.float32 and x.shape == (6, 10, 1)  # padded to the longest file (10)
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(x[0, :5, 0], np.arange(5) * 1000 / 32768.0)
    np.testing.assert_array_equal(x[0, 5:], 0)  # 5 samples, then padding
    np.testing.assert_allclose(x[3, :6, 0], (np.arange(6) * 1000 + 100) / 32768.0)


def test_sequence_length_splits_and_modes(audio_dir):
    ds = utils.audio_dataset_from_directory(audio_dir, batch_size=4, output_sequence_length=6,
                                            label_mode="categorical", seed=1, verbose=False)
    batches = list(ds)
    assert [b[0].shape for b in batches] == [(4, 6, 1), (2, 6, 1)]
    assert batches[0][1].shape == (4, 2)
    train, val = utils.audio_dataset_from_directory(audio_dir, batch_size=2, validation_split=0.34,
                                                    subset="both", seed=3, verbose=False)
    assert sum(len(b[1]) for b in train) == 4 and sum(len(b[1]) for b in val) == 2
    only = utils.audio_dataset_from_directory(audio_dir, labels=None, batch_size=None,
                                              shuffle=False, verbose=False)
    assert isinstance(only, Dataset) and [a.shape for a in only][0] == (5, 1)


def test_resampling_8bit_and_errors(audio_dir, tmp_path):
    pytest.importorskip("scipy")
    ds = utils.audio_dataset_from_directory(audio_dir, batch_size=None, sampling_rate=16000,
                                            shuffle=False, verbose=False, labels=None)
    assert next(iter(ds)).shape == (10, 1)  # 5 samples at 8 kHz -> 10 at 16 kHz
    eight = tmp_path / "eight"
    (eight / "a").mkdir(parents=True)
    _write(eight / "a" / "x.wav", np.array([[-128, 0], [0, 64]]), width=1)
    x, _ = next(iter(utils.audio_dataset_from_directory(eight, verbose=False)))
    np.testing.assert_allclose(x[0], [[-1.0, 0.0], [0.0, 0.5]])
    with pytest.raises(NotImplementedError, match="ragged"):
        utils.audio_dataset_from_directory(audio_dir, ragged=True)
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.audio_dataset_from_directory(audio_dir, sampling_rate=0.5)
