"""Reading users' pictures: photos of one garment become Fashion-MNIST-like images."""

import warnings

import numpy as np
import pytest
from PIL import Image

from benchmarks.photos import SETTINGS, render_photo
from skfmnist import read_images

from ._hostile import png_header_only


def _garment(kind, seed=0):
    """A toy 28x28 image in dataset form: a light, textured garment on black, the long edge 28.

    ``shirt`` is one solid T shape, ``trousers`` two legs joined at the waist and ``sandal``
    three separate straps, which the reader must keep together.
    """
    shape = np.zeros((28, 28), dtype=bool)
    if kind == "shirt":
        shape[0:6, 1:27] = True
        shape[6:28, 7:21] = True
    elif kind == "trousers":
        shape[0:6, 8:20] = True
        shape[6:28, 8:13] = True
        shape[6:28, 15:20] = True
    else:  # sandal: straps with gaps of two pixels, 8 rows high, centred like the dataset's
        shape[10:13, 0:28] = True
        shape[15:17, 2:12] = True
        shape[15:18, 15:26] = True
    texture = np.random.default_rng(seed).integers(120, 256, size=(28, 28))
    return np.where(shape, texture, 0).astype(np.uint8)


def _correlation(row, image):
    return np.corrcoef(row.astype(float), image.ravel().astype(float))[0, 1]


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("kind", ["shirt", "trousers", "sandal"])
def test_a_photo_of_a_garment_reads_back_as_its_dataset_image(tmp_path, setting, kind):
    frame, (low, high), background, centred = SETTINGS[setting]
    image = _garment(kind)
    path = tmp_path / "photo.jpg"
    path.write_bytes(render_photo(image, np.random.default_rng(1), frame, (low + high) / 2,
                                  background, centred))
    rows, names, notes = read_images([path])
    assert rows.shape == (1, 784) and names == [str(path)]
    # Bicubic upscaling in the rendering blurs edges by about a dataset pixel: thin straps
    # come back half a pixel thicker.
    assert _correlation(rows[0], image) > 0.8
    steps = [note.removeprefix(f"{path}: ") for note in notes]
    assert steps[0] == "converted from RGB colour to greyscale"
    assert steps[1].startswith("garment found at x ") and f"{background} background" in steps[1]
    assert "(longest edge 28, aspect ratio kept) and centred on a black 28x28 canvas" in steps[2]
    assert ("inverted (Fashion-MNIST shows light clothes on black)" in steps) == (
        background == "light")
    assert steps[-1].startswith("the background level") and steps[-1].endswith("made black")


def test_the_garment_keeps_its_aspect_ratio_and_is_centred(tmp_path):
    photo = np.full((300, 400), 235, dtype=np.uint8)
    photo[40:250, 300:370] = 30  # a dark bar, 70x210, near the right edge
    Image.fromarray(photo).save(tmp_path / "bar.png")
    rows, _, notes = read_images([tmp_path / "bar.png"])
    image = rows[0].reshape(28, 28)
    assert "cropped to 70x210, resized to 9x28" in notes[1]  # 28 * 70/210 = 9.3
    assert (image[:, 10:19] > 200).all() and (image[:, :10] == 0).all() and (
        image[:, 19:] == 0).all()  # centred: 10 columns left, 9 right


def _noisy_jpeg(path, pixels, seed=0):
    noisy = pixels + np.random.default_rng(seed).normal(0, 6, size=pixels.shape)
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).convert("RGB").save(
        path, quality=85)


def _several_garments(rows, columns, side, gap):
    photo = np.full((rows * (side + gap) + gap, columns * (side + gap) + gap), 240.0)
    for index in range(rows * columns):
        garment = np.asarray(Image.fromarray(_garment("shirt", seed=index)).resize(
            (side, side), Image.BICUBIC), dtype=float)
        top, left = (gap + (side + gap) * position for position in divmod(index, columns))
        photo[top:top + side, left:left + side] -= garment * 0.9
    return photo


@pytest.mark.parametrize("picture, reason", [
    (np.full((300, 400), 128.0), "the picture is uniform"),
    (_several_garments(2, 3, 90, 40), "it holds 6 separate objects of similar size"),
    (_several_garments(3, 4, 90, 2), "its edges are not a plain background"),
    (np.kron(np.random.default_rng(0).integers(0, 256, (6, 8)), np.ones((50, 50))),
     "its edges are not a plain background"),
])
def test_a_picture_without_one_garment_gets_a_note_saying_so(tmp_path, picture, reason):
    _noisy_jpeg(tmp_path / "scene.jpg", picture)
    _, _, notes = read_images([tmp_path / "scene.jpg"])
    found = notes[1]
    assert found.startswith(f"{tmp_path / 'scene.jpg'}: no garment found against a plain "
                            "background: ") and reason in found
    assert "its prediction is a guess" in found and "Crop the picture to one garment" in found


@pytest.mark.parametrize("size", [(28, 28), (120, 90)])
def test_16_bit_pngs_and_float_tiffs_read_as_the_8_bit_png(tmp_path, size):
    eight = np.full(size[::-1], 20, dtype=np.uint8)  # a garment on a dark background
    eight[-28:, -28:] = np.maximum(_garment("shirt"), 20)
    Image.fromarray(eight).save(tmp_path / "a-8bit.png")
    Image.fromarray(eight.astype(np.uint16) * 257).save(tmp_path / "b-16bit.png")
    Image.fromarray(eight.astype(np.float32) / 255).save(tmp_path / "c-unit.tif")
    Image.fromarray(eight.astype(np.float32)).save(tmp_path / "d-levels.tif")
    rows, names, notes = read_images([tmp_path])
    assert [name.rsplit("/", 1)[1] for name in names] == [
        "a-8bit.png", "b-16bit.png", "c-unit.tif", "d-levels.tif"]
    assert (rows == rows[0]).all() and rows[0].max() > 100
    assert f"{tmp_path / 'b-16bit.png'}: 16-bit levels scaled to 0-255" in notes
    assert f"{tmp_path / 'c-unit.tif'}: values in [0, 1] taken as scaled pixels and " \
           "multiplied by 255" in notes


def test_float_tiff_outside_the_grey_range_names_the_file_and_the_fix(tmp_path):
    Image.fromarray(np.full((28, 28), 300.0, dtype=np.float32)).save(tmp_path / "hot.tif")
    with pytest.raises(ValueError, match=r"hot\.tif holds float levels outside \[0, 255\] "
                                         r"\(from 300 to 300\).*rescale it"):
        read_images([tmp_path / "hot.tif"])


def test_upper_case_suffixes_work_like_lower_case_ones(tmp_path):
    image = _garment("trousers")
    np.save(tmp_path / "batch.npy", np.stack([image, image]))
    (tmp_path / "batch.npy").rename(tmp_path / "BATCH.NPY")
    Image.fromarray(image).save(tmp_path / "ONE.PNG")
    rows, names, _ = read_images([tmp_path / "BATCH.NPY", tmp_path])
    assert names == [f"{tmp_path / 'BATCH.NPY'}[{index}]" for index in range(2)] * 2 + [
        str(tmp_path / "ONE.PNG")]
    assert (rows == image.ravel()).all()


def test_a_photo_is_turned_upright_as_its_exif_says(tmp_path):
    image = _garment("shirt")
    photo = Image.fromarray(np.pad(255 - image, 40, constant_values=255).repeat(3, 0).repeat(
        3, 1))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; show rotated 90 degrees clockwise
    photo.rotate(90, expand=True).save(tmp_path / "phone.jpg", exif=exif, quality=95)
    rows, _, notes = read_images([tmp_path / "phone.jpg"])
    assert f"{tmp_path / 'phone.jpg'}: turned upright as its EXIF orientation says" in notes
    assert _correlation(rows[0], image) > 0.9


def test_a_huge_header_is_refused_by_name_without_pils_warning(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png_header_only(12_000, 12_000))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=rf"{path} is refused as too large to decode "
                                             r"safely: its header claims more than"):
            read_images([path])
    assert caught == []
