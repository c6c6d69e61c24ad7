;;; bpel.el --- WS-BPEL 2.0 with the `bpel lsp' language server through eglot  -*- lexical-binding: t; -*-

;;; Commentary:

;; For Emacs 28 with eglot 1.9 or newer (Debian 12: `apt-get install emacs-nox elpa-eglot');
;; Emacs 29 and newer have eglot built in.
;;
;; Use: load this file from your init file, e.g.
;;
;;   (load "/path/to/bpel/editors/emacs/bpel.el")
;;
;; or put its folder on `load-path' and (require 'bpel).
;;
;; It defines `bpel-mode' for .bpel files, and `bpel-wsdl-mode' and `bpel-xsd-mode' for .wsdl and
;; .xsd files (all three derived from `nxml-mode', so XML editing stays as you know it), and starts
;; `bpel lsp' through eglot in each of them: one server per project (a version-controlled folder,
;; else the file's folder) for the three modes.  Diagnostics appear through flymake
;; (M-x flymake-show-buffer-diagnostics); xref finds definitions (M-.) and references (M-?);
;; M-x eglot-rename renames, M-x eglot-code-actions offers the quick fixes.
;;
;; Settings (M-x customize-group RET bpel):
;;   `bpel-server-path'  the `bpel' binary (default: `bpel' on `exec-path')

;;; Code:

(require 'nxml-mode)

(defgroup bpel nil
  "WS-BPEL 2.0 processes, edited with the `bpel lsp' language server."
  :group 'languages
  :prefix "bpel-")

(defcustom bpel-server-path "bpel"
  "The `bpel' binary: a command name or an absolute file name.
A command name is looked up on the variable `exec-path'.  The
language server is its `lsp' subcommand.  Install it with
`cargo install --path repl' from the bpel repository."
  :type 'string
  :group 'bpel)

;;;###autoload
(define-derived-mode bpel-mode nxml-mode "BPEL"
  "Major mode for WS-BPEL 2.0 process files (.bpel).
`nxml-mode' editing, with diagnostics, navigation and completion
from the `bpel lsp' language server (through eglot).")

;;;###autoload
(define-derived-mode bpel-wsdl-mode nxml-mode "WSDL"
  "Major mode for WSDL 1.1 files (.wsdl) that BPEL processes import.
`nxml-mode' editing, with diagnostics and navigation from `bpel lsp'.")

;;;###autoload
(define-derived-mode bpel-xsd-mode nxml-mode "XSD"
  "Major mode for XML Schema files (.xsd) that BPEL processes import.
`nxml-mode' editing, with diagnostics and navigation from `bpel lsp'.")

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.bpel\\'" . bpel-mode))
;;;###autoload
(add-to-list 'auto-mode-alist '("\\.wsdl\\'" . bpel-wsdl-mode))
;;;###autoload
(add-to-list 'auto-mode-alist '("\\.xsd\\'" . bpel-xsd-mode))

(defvar eglot-server-programs)

(defun bpel-server-contact (&optional _interactive)
  "Return the command to start the language server.
This is the contact of the `eglot-server-programs' entry.  It is
computed when a server starts, so a change to `bpel-server-path'
applies to the next server."
  (let ((program (executable-find bpel-server-path)))
    (unless program
      (user-error "bpel: `%s' not found; install it (cargo install --path repl) or set `bpel-server-path'"
                  bpel-server-path))
    (list program "lsp")))

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs
               '(((bpel-mode :language-id "bpel")
                  (bpel-wsdl-mode :language-id "wsdl")
                  (bpel-xsd-mode :language-id "xsd"))
                 . bpel-server-contact)))

(defun bpel--start-server ()
  "Start or join the project's `bpel lsp' through eglot."
  (if (fboundp 'eglot-ensure)
      (eglot-ensure)
    (message "bpel: eglot is not installed (Debian: apt-get install elpa-eglot; Emacs 29 has it built in)")))

(dolist (hook '(bpel-mode-hook bpel-wsdl-mode-hook bpel-xsd-mode-hook))
  (add-hook hook #'bpel--start-server))

(provide 'bpel)

;;; bpel.el ends here
