import pytest
import torch

import gan_utils


def test_generator_makes_images_in_minus_one_to_one():
    G = gan_utils.MLPGenerator(latent_dim=16, hidden_dim=32)
    images = G(torch.randn(5, G.latent_dim))
    assert images.shape == (5, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1


def test_discriminator_gives_one_logit_per_image():
    D = gan_utils.MLPDiscriminator(hidden_dim=32)
    logits = D(torch.rand(7, 1, 28, 28) * 2 - 1)
    assert logits.shape == (7,)


def test_build_model_rebuilds_from_config():
    G = gan_utils.MLPGenerator(latent_dim=10, hidden_dim=20)
    rebuilt = gan_utils.build_model("MLPGenerator", G.config)
    assert rebuilt.latent_dim == 10
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in G.parameters()]
    with pytest.raises(ValueError, match="Unknown model 'NoSuchModel'"):
        gan_utils.build_model("NoSuchModel", {})


def test_same_seed_gives_the_same_samples():
    def samples(model_seed, noise_seed=1):
        gan_utils.seed_everything(model_seed)
        G = gan_utils.MLPGenerator()
        return gan_utils.generate(G, gan_utils.make_noise(8, G.latent_dim, seed=noise_seed))

    assert torch.equal(samples(3), samples(3))
    assert not torch.equal(samples(3), samples(4))
    assert not torch.equal(samples(3, noise_seed=1), samples(3, noise_seed=2))


def test_generate_restores_training_mode_and_tracks_no_gradient():
    G = gan_utils.MLPGenerator(hidden_dim=16)
    images = gan_utils.generate(G, torch.randn(2, G.latent_dim))
    assert G.training
    assert not images.requires_grad


def test_denorm_maps_to_zero_one():
    assert torch.equal(gan_utils.denorm(torch.tensor([-1.0, 0.0, 1.0, 3.0])), torch.tensor([0.0, 0.5, 1.0, 1.0]))


def test_conditional_generator_draws_the_requested_class():
    G = gan_utils.ConditionalGenerator(latent_dim=16, num_classes=10, hidden_dim=32)
    labels = torch.tensor([0, 3, 9])
    images = G(torch.randn(3, 16), labels)
    assert images.shape == (3, 1, 28, 28)
    assert images.min() >= -1 and images.max() <= 1
    assert G.num_classes == 10 and G.latent_dim == 16
    z = torch.randn(1, 16).repeat(2, 1)
    G.eval()
    three, seven = G(z, torch.tensor([3, 7]))
    assert not torch.equal(three, seven)  # same noise, different label, different image


def test_conditional_discriminator_scores_image_and_label():
    D = gan_utils.ConditionalDiscriminator(hidden_dim=32).eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    logits = D(x, torch.tensor([1, 2]))
    assert logits.shape == (2,)
    assert not torch.equal(D(x[:1], torch.tensor([1])), D(x[:1], torch.tensor([2])))


def test_projection_scores_how_well_the_features_fit_the_label():
    """With the projection, D's score is its plain score plus (the label's vector) . (D's features)."""
    D = gan_utils.ConditionalDiscriminator(hidden_dim=32).eval()
    x, labels = torch.rand(3, 1, 28, 28) * 2 - 1, torch.tensor([0, 4, 9])
    features = D.net[:-1](torch.cat([x.flatten(1), torch.nn.functional.one_hot(labels, 10).float()], dim=1))
    plain = D.net[-1](features).squeeze(1)
    torch.testing.assert_close(D(x, labels), plain + (D.label_vectors.weight[labels] * features).sum(1))
    assert not torch.allclose(D(x, labels), plain)
    without = gan_utils.ConditionalDiscriminator(hidden_dim=32, projection=False).eval()
    assert without.label_vectors is None and without.config["projection"] is False
    assert sum(p.numel() for p in D.parameters()) - sum(p.numel() for p in without.parameters()) == 10 * 32
    rebuilt = gan_utils.build_model("ConditionalDiscriminator", D.config)  # a checkpoint rebuilds it
    rebuilt.load_state_dict(D.state_dict())
    torch.testing.assert_close(rebuilt.eval()(x, labels), D(x, labels))


def test_generator_dropout_differs_between_train_and_eval_mode():
    G = gan_utils.ConditionalGenerator(hidden_dim=32, dropout=0.5)
    z, y = torch.randn(1, G.latent_dim), torch.tensor([4])
    G.eval()
    assert torch.equal(G(z, y), G(z, y))
    G.train()
    assert not torch.equal(G(z, y), G(z, y))


def test_dropout_zeroes_a_share_p_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.ones(1000, 1000)
    layer = gan_utils.models.Dropout(0.3)
    y = layer(x)
    assert abs((y == 0).float().mean().item() - 0.3) < 0.005  # each value dropped with probability p
    assert abs(y.mean().item() - 1.0) < 0.01  # the survivors are scaled by 1 / (1 - p)
    assert torch.equal(layer.eval()(x), x) and torch.equal(gan_utils.models.Dropout(0.0)(x), x)


def test_random_16bit_numbers_are_uniform_for_any_shape():
    torch.manual_seed(0)
    assert gan_utils.models.random_16bit((3, 5)).shape == (3, 5)  # 15 numbers: not a multiple of four
    values = gan_utils.models.random_16bit((1000, 1000)).float()
    assert values.min() == -(2**15) and values.max() == 2**15 - 1
    assert abs(values.mean().item()) < 100  # uniform: mean -0.5, standard error 19
    counts = torch.histc(values, bins=16, min=-(2**15), max=2**15)
    assert (counts - counts.mean()).abs().max() < 0.02 * counts.mean()  # every sixteenth of the range as likely
