"""Module configs given as text on a command line (``--policy "dict(type='CutMixPolicy', alpha=1.0)"``), read
without evaluating anything: only literals and ``dict(key=value, ...)`` calls (the OpenMMLab config style)."""
import ast
import re
from typing import Any, List


def literal(node: ast.AST) -> Any:
    """The value of an AST node made of constants, negative numbers, lists, tuples, dicts and
    ``dict(key=value, ...)`` calls; any other expression (a name, another call, an attribute) raises
    ValueError."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -literal(node.operand)
    if isinstance(node, (ast.List, ast.Tuple)):
        values = [literal(value) for value in node.elts]
        return values if isinstance(node, ast.List) else tuple(values)
    if isinstance(node, ast.Dict):
        return {literal(key): literal(value) for key, value in zip(node.keys, node.values)}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'dict' and not node.args:
        return {keyword.arg: literal(keyword.value) for keyword in node.keywords}
    raise ValueError(f'unsupported expression in a module config: {ast.dump(node)}')


def parse_module_cfgs(text: str, key: str) -> List[dict]:
    """The module configs of the option ``key``: a bare type name (``'FMixPolicy'``), one
    ``dict(type=...)`` / ``{'type': ...}``, or a list of them. Raises ValueError naming ``key``."""
    text = text.strip()
    if re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', text):
        return [dict(type=text)]
    try:
        value = literal(ast.parse(text, mode='eval').body)
    except (SyntaxError, ValueError) as error:
        raise ValueError(f'{key} must be a dict(type=...) or a list of them, got {text!r} ({error})') from None
    cfgs = value if isinstance(value, list) else [value]
    for cfg in cfgs:
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise ValueError(f'{key} entries must be dicts with a "type" key, got {cfg!r}')
    return cfgs
