"""Draws Tavla's two Teams icons with Pillow: ``python -m manifest.icons`` rewrites both PNGs.

The symbol is a *tavla*: a board with three columns of cards, as at the weekly tavelmöte.

- ``color.png``  192×192: the accent colour edge to edge (Teams rounds the corners itself), the symbol in
  white inside the central 120×120 safe area.
- ``outline.png`` 32×32: white lines on a transparent background and nothing else (Teams tints it in the
  app bar); drawn pixel by pixel on the 32×32 grid so the lines stay crisp, every visible pixel pure white.

The colour icon is drawn 8× larger and scaled down (smooth edges); both outputs are deterministic.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = "#1F5F7A"  # also the manifest's accentColor; white on it has a contrast ratio of about 7:1
WHITE = (255, 255, 255)
SCALE = 8
COLOR_SIZE = 192
OUTLINE_SIZE = 32


def _hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _board_mask(size: int, box: tuple[float, float, float, float], line: float, radius: float,
                filled_cards: bool) -> Image.Image:
    """An 'L' mask (255 = symbol) of the board inside ``box`` (fractions of ``size``), drawn at SCALE."""
    big = size * SCALE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    x0, y0, x1, y1 = (v * big for v in box)
    width = max(1, round(line * SCALE))
    draw.rounded_rectangle((x0, y0, x1, y1), radius=radius * SCALE, outline=255, width=width)
    # the header line under which the columns hang
    header = y0 + (y1 - y0) * 0.24
    draw.line((x0, header, x1, header), fill=255, width=width)
    # three columns of cards: 3, 2 and 1 card (to do → doing → done)
    inner_w = x1 - x0
    col_w = inner_w / 3
    card_w = col_w * 0.5
    card_h = (y1 - header) * 0.19
    gap = (y1 - header) * 0.08
    for column, cards in enumerate((3, 2, 1)):
        cx = x0 + col_w * (column + 0.5)
        top = header + gap * 1.3
        for _ in range(cards):
            rect = (cx - card_w / 2, top, cx + card_w / 2, top + card_h)
            if filled_cards:
                draw.rounded_rectangle(rect, radius=card_h * 0.18, fill=255)
            else:
                draw.rounded_rectangle(rect, radius=card_h * 0.18, outline=255, width=width)
            top += card_h + gap
    return mask.resize((size, size), Image.LANCZOS)


def draw_color() -> Image.Image:
    """192×192: accent background, white board in the 120×120 safe area (36 px margins)."""
    background = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), _hex(ACCENT) + (255,))
    margin = 40 / COLOR_SIZE
    mask = _board_mask(COLOR_SIZE, (margin, margin + 4 / COLOR_SIZE, 1 - margin, 1 - margin - 4 / COLOR_SIZE),
                       line=7, radius=10, filled_cards=True)
    symbol = Image.new("RGBA", (COLOR_SIZE, COLOR_SIZE), WHITE + (255,))
    background.paste(symbol, (0, 0), mask)
    return background


def draw_outline() -> Image.Image:
    """32×32 on the pixel grid: a 2 px board frame, the header line and 3 + 2 + 1 cards (5×3 px)."""
    mask = Image.new("L", (OUTLINE_SIZE, OUTLINE_SIZE), 0)
    draw = ImageDraw.Draw(mask)
    draw.rounded_rectangle((3, 5, 29, 26), radius=3, outline=255, width=2)
    draw.rectangle((3, 10, 29, 11), fill=255)  # header line
    for left, cards in ((7, 3), (14, 2), (21, 1)):
        for row in range(cards):
            top = 13 + row * 4
            draw.rectangle((left, top, left + 4, top + 2), fill=255)
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), WHITE + (0,))
    image.putalpha(mask)
    return image


def write(directory: Path = HERE) -> tuple[Path, Path]:
    color, outline = directory / "color.png", directory / "outline.png"
    draw_color().save(color, format="PNG", optimize=True)
    draw_outline().save(outline, format="PNG", optimize=True)
    return color, outline


if __name__ == "__main__":
    for path in write():
        print(path)
