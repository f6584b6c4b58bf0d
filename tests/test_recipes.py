"""Each notebook's recipe: the same starting weights from the same seed, and the notebook's settings."""

from helpers import same_weights

from gan_utils import recipes


def test_a_recipe_starts_from_the_same_weights_for_the_same_seed():
    for recipe in (recipes.vanilla_gan, recipes.conditional_gan, recipes.dcgan):
        a, b, c = recipe(seed=3), recipe(seed=3), recipe(seed=4)
        assert same_weights(a.G, b.G) and same_weights(a.D, b.D), recipe.__name__
        assert not same_weights(a.G, c.G), recipe.__name__


def test_recipes_have_the_notebooks_settings():
    lesson = recipes.vanilla_gan()
    assert (lesson.batch_size, lesson.label_smoothing, lesson.ema) == (256, 0.1, 0.995)
    assert lesson.opt_G.param_groups[0]["lr"] == 1e-3 and lesson.opt_G.param_groups[0]["betas"] == (0.5, 0.999)
    cgan = recipes.conditional_gan()
    assert (cgan.batch_size, cgan.label_smoothing) == (256, 0.1) and hasattr(cgan.G, "num_classes")
    assert cgan.D.config["projection"] and not recipes.conditional_gan(projection=False).D.config["projection"]
    dcgan = recipes.dcgan()
    assert (dcgan.batch_size, dcgan.label_smoothing) == (32, 0.0)  # on a CPU
    assert dcgan.G.config == {"latent_dim": 100, "channels": 3, "image_size": 32, "width": 32}  # on a CPU
    assert dcgan.D.config == {"channels": 3, "image_size": 32, "width": 32}
    assert recipes.dcgan(width=64).G.config["width"] == 64
    for optimizer in (dcgan.opt_G, dcgan.opt_D):
        assert optimizer.param_groups[0]["lr"] == 4e-4 and optimizer.param_groups[0]["betas"] == (0.5, 0.999)
    paper = recipes.dcgan(width=64, lr=2e-4, batch_size=64)  # each setting can be given
    assert (paper.G.config["width"], paper.opt_D.param_groups[0]["lr"], paper.batch_size) == (64, 2e-4, 64)
    assert recipes.dcgan(channels=1).G.image_shape == (1, 32, 32)


def test_exercise_knobs_change_only_what_they_name():
    narrow = recipes.vanilla_gan(hidden_dim=128, dropout=0.0, label_smoothing=0.0, ema=None)
    assert narrow.G.config["hidden_dim"] == 128 and narrow.D.config["dropout"] == 0.0
    assert narrow.label_smoothing == 0.0 and narrow.G_ema is None and narrow.batch_size == 256


def test_vanilla_gan_passes_the_students_updates_to_the_trainer():
    def update_D(real, fake, D, opt_D, real_label=1.0):
        return 0.0, 0.5, 0.5

    def update_G(fake, D, opt_G):
        return 0.0

    lesson = recipes.vanilla_gan(update_D=update_D, update_G=update_G)
    assert lesson.update_D is update_D and lesson.update_G is update_G
    default = recipes.vanilla_gan()
    assert default.update_D.__module__ == default.update_G.__module__ == "gan_utils.training"


def test_the_dcgan_is_smaller_on_a_cpu_and_the_papers_on_a_gpu():
    assert recipes.dcgan_settings("cpu") == {"width": 32, "lr": 4e-4, "batch_size": 32, "steps": 6000}
    paper = {"width": 64, "lr": 2e-4, "batch_size": 64, "steps": None}  # the paper's (no GPU needed to check)
    assert recipes.dcgan_settings("cuda") == recipes.dcgan_settings("mps") == paper
