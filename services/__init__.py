"""The calculator lab's five micro-services (sum, sub, mul, div, calculator), standard library
only and wire-compatible with the original Node.js services. Run ``python -m services --help``.

Modules: :mod:`~services.jsnumber` (numbers the JavaScript way), :mod:`~services.expression`
(infix parser and evaluator), :mod:`~services.httpd` (shared HTTP handling and limits),
:mod:`~services.operand` (sum/sub/mul/div), :mod:`~services.calculator`,
:mod:`~services.deploy` (systemd units and sources for cloud-init).
"""
