-- Defines :Sportello, :SportelloMine, :SportelloOpen, :SportelloNote and :SportelloTake with the
-- default configuration; require('sportello').setup{...} changes it.
if vim.g.loaded_sportello or vim.fn.has("nvim-0.7") == 0 then
  return
end
vim.g.loaded_sportello = true
require("sportello").define_commands()
