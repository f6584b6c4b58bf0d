"""A digit picker: type or click a phone number and see it in generated handwriting (notebook 02).

``digit_picker(G)`` returns an ipywidgets UI. ``DigitPicker`` holds its state (the noise behind each digit)
and the widgets; tests drive it headlessly by setting ``text.value`` and calling ``button.click()``.
"""

import io
from pathlib import Path

import torch
from torchvision.transforms.functional import to_pil_image

from .phone import MAX_DIGITS, render_tokens, tokenize


def digit_picker(G, text="010-1234-5678", seed=0, save_to="phone_number.png"):
    """An ipywidgets UI that writes a phone number with the conditional generator ``G``."""
    return DigitPicker(G, text, seed, save_to).ui


class DigitPicker:
    def __init__(self, G, text="010-1234-5678", seed=0, save_to="phone_number.png"):
        import ipywidgets as widgets  # imported here so that gan_utils imports without Jupyter

        self.G = G
        self.save_to = Path(save_to)
        self.rng = torch.Generator().manual_seed(seed)
        self.png = None  # the last image drawn without error

        self.text = widgets.Text(value=text, description="Number", continuous_update=True)
        # width "auto": as wide as the label (ipywidgets' fixed default widths cut long labels off)
        self.same_style = widgets.Checkbox(
            value=True,
            description="same handwriting for every digit",
            indent=False,
            layout=widgets.Layout(width="auto", margin="0 1em"),
        )
        self.keys = [widgets.Button(description=str(d), layout=widgets.Layout(width="40px")) for d in range(10)]
        self.backspace = widgets.Button(description="⌫", layout=widgets.Layout(width="40px"))
        self.new_handwriting = widgets.Button(
            description="new handwriting", icon="refresh", layout=widgets.Layout(width="auto")
        )
        self.save = widgets.Button(description="save PNG", icon="download", layout=widgets.Layout(width="auto"))
        self.image = widgets.Image(format="png")
        self.message = widgets.HTML()
        self.resample_row = widgets.HBox()  # one button per digit, made by render()
        self.z = self.new_style()  # one noise row per digit position

        for digit, key in enumerate(self.keys):
            key.on_click(lambda _, d=digit: self.press(str(d)))
        self.backspace.on_click(lambda _: self.delete_last())
        self.new_handwriting.on_click(lambda _: self.restyle())
        self.same_style.observe(lambda _: self.restyle(), names="value")
        self.save.on_click(lambda _: self.save_png())
        self.text.observe(lambda _: self.render(), names="value")

        self.ui = widgets.VBox(
            [
                self.text,
                widgets.HBox([*self.keys, self.backspace]),
                widgets.HBox([self.new_handwriting, self.same_style, self.save]),
                self.image,
                widgets.HTML("Resample one digit:"),
                self.resample_row,
                self.message,
            ]
        )
        self.render()

    def new_style(self):
        """Fresh noise: one row for every digit position, all alike if same handwriting is on."""
        rows = 1 if self.same_style.value else MAX_DIGITS
        return torch.randn(rows, self.G.latent_dim, generator=self.rng).expand(MAX_DIGITS, -1).clone()

    def press(self, character):
        self.text.value += character  # the text box's observer redraws

    def delete_last(self):
        self.text.value = self.text.value[:-1]

    def restyle(self):
        self.z = self.new_style()
        self.render()

    def resample(self, position):
        """New noise for the digit at ``position`` (0 = first digit) only."""
        self.z[position] = torch.randn(self.G.latent_dim, generator=self.rng)
        self.render()

    def render(self):
        """Draw the current text; on invalid input keep the last image and say what is wrong."""
        try:
            tokens = tokenize(self.text.value)
        except ValueError as error:
            self.message.value = f"<span style='color:#b00'>{error}</span>"
            return
        self.message.value = ""
        image = render_tokens(self.G, tokens, self.z)
        buffer = io.BytesIO()
        to_pil_image(image).save(buffer, format="png")
        self.png = buffer.getvalue()
        self.image.value = self.png
        self.image.width = 2 * image.shape[2]  # shown at twice the size, pixels stay crisp
        self.update_resample_buttons(sum(t is not None for t in tokens))

    def update_resample_buttons(self, n_digits):
        import ipywidgets as widgets

        if len(self.resample_row.children) == n_digits:
            return
        buttons = [
            widgets.Button(description=f"↻{i + 1}", layout=widgets.Layout(width="48px")) for i in range(n_digits)
        ]
        for position, button in enumerate(buttons):
            button.on_click(lambda _, p=position: self.resample(p))
        self.resample_row.children = buttons

    def save_png(self):
        self.save_to.write_bytes(self.png)
        self.message.value = f"Saved {self.save_to.resolve()}"
