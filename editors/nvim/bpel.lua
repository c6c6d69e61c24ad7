-- WS-BPEL for Neovim's built-in LSP client (Neovim 0.7 or newer; no plugin needed).
--
-- Use: put this file in ~/.config/nvim/plugin/ (or `dofile` it from your init.lua). It starts
-- `bpel lsp` for .bpel files, and for .wsdl and .xsd files (diagnostics and navigation into them),
-- one server per Neovim session, rooted at the current working directory.
--
-- Settings (set them before this file runs):
--   vim.g.bpel_server_path   the `bpel` binary (default: `bpel` on PATH)
--   vim.g.bpel_root          the workspace root (default: the current working directory)

vim.cmd([[
  augroup bpel_filetype
    autocmd!
    autocmd BufRead,BufNewFile *.bpel setlocal filetype=bpel syntax=xml
  augroup END
]])

local client_id = nil

local function start()
  local server = vim.g.bpel_server_path or 'bpel'
  if vim.fn.executable(server) ~= 1 then
    vim.notify('bpel: `' .. server .. '` not found; install it (cargo install --path repl) or set vim.g.bpel_server_path',
      vim.log.levels.ERROR)
    return
  end
  if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
    client_id = vim.lsp.start_client({
      name = 'bpel',
      cmd = { server, 'lsp' },
      root_dir = vim.g.bpel_root or vim.fn.getcwd(),
    })
  end
  if client_id ~= nil then
    vim.lsp.buf_attach_client(0, client_id)
  end
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = { 'bpel', 'wsdl', 'xsd' },
  callback = start,
})
vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
  pattern = { '*.wsdl', '*.xsd' },
  callback = start,
})
