"""`/status` as a picture: the draft drawn as a storyboard, sent with its summary as caption.

`layout` works out rows and blocks from a state, `thumbs` fetches small pictures of the
media, `fonts` picks faces that show every word (or leaves words to the caption), `draw`
makes the PNG and `sender` posts it.
"""

from bot.core.storyboard.sender import Storyboard

__all__ = ["Storyboard"]
