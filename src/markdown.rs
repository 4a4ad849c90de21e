//! The Markdown of lesson files, rendered to a tree of allowed elements ([`Md`]).
//!
//! Lessons use a documented subset of CommonMark: paragraphs, `#` headings,
//! `-`/`*`/`1.` lists, `>` quotes, fenced code, `---` rules, and inline
//! `` `code` ``, `*em*`, `**strong**`, `~~del~~`, `[links](…)` and backslash
//! escapes. It is written here rather than taken from pulldown-cmark, which
//! would add about 45 KB gzipped to a page whose whole budget is 500 KB for a
//! few dozen short lesson texts.
//!
//! Nothing in the output is raw HTML: `<script>` in a lesson is text, images are
//! their alt text, and links go only to `http(s)` pages or `#` scenario
//! fragments; any other link keeps its text and loses its target.

/// Markdown as a tree of allowed elements.
#[derive(Clone, Debug, PartialEq)]
pub enum Md {
    Text(String),
    /// An element from a fixed list: p, h3, h4, em, strong, del, code, pre,
    /// ul, ol, li, blockquote, a, span, br, hr.
    El {
        tag: &'static str,
        href: Option<String>,
        children: Vec<Md>,
    },
}

fn el(tag: &'static str, children: Vec<Md>) -> Md {
    Md::El { tag, href: None, children }
}

/// A link target a lesson may use: a web page, or a scenario fragment for the playground.
pub fn safe_href(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || u.starts_with('#')).then(|| u.to_string())
}

/// A list item's marker: the ordered flag and the text after it.
fn list_item(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")).or_else(|| t.strip_prefix("+ ")) {
        return Some((false, rest));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, r));
        }
    }
    None
}

fn is_rule(line: &str) -> bool {
    let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    t.len() >= 3 && (t.chars().all(|c| c == '-') || t.chars().all(|c| c == '*') || t.chars().all(|c| c == '_'))
}

/// Render lesson Markdown to the allowed tree.
pub fn render(markdown: &str) -> Vec<Md> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut para: Vec<&str> = Vec::new();
    let flush = |para: &mut Vec<&str>, out: &mut Vec<Md>| {
        if !para.is_empty() {
            out.push(el("p", lines_inline(para)));
            para.clear();
        }
    };
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() {
            flush(&mut para, &mut out);
            i += 1;
        } else if t.starts_with("```") {
            flush(&mut para, &mut out);
            let mut code = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with("```") {
                code.push(lines[i]);
                i += 1;
            }
            i += 1; // the closing fence (or the end)
            out.push(el("pre", vec![el("code", vec![Md::Text(code.join("\n"))])]));
        } else if let Some(level) = (t.starts_with('#')).then(|| t.bytes().take_while(|b| *b == b'#').count()) {
            if level <= 6 && t[level..].starts_with(' ') {
                flush(&mut para, &mut out);
                out.push(el(
                    if level <= 3 { "h3" } else { "h4" },
                    inline(t[level..].trim().trim_end_matches('#').trim()),
                ));
            } else {
                para.push(line);
            }
            i += 1;
        } else if t.starts_with('>') {
            flush(&mut para, &mut out);
            let mut quoted = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                let q = lines[i].trim_start()[1..].strip_prefix(' ').unwrap_or(&lines[i].trim_start()[1..]);
                quoted.push(q);
                i += 1;
            }
            out.push(el("blockquote", render(&quoted.join("\n"))));
        } else if is_rule(t) && para.is_empty() {
            out.push(el("hr", Vec::new()));
            i += 1;
        } else if let Some((ordered, _)) = list_item(line).filter(|_| para.is_empty()) {
            let mut items: Vec<Vec<&str>> = Vec::new();
            while i < lines.len() {
                let l = lines[i];
                match list_item(l) {
                    Some((o, text)) if o == ordered => items.push(vec![text]),
                    // A continuation: indented, under the current item.
                    None if !l.trim().is_empty() && l.starts_with("  ") && !items.is_empty() => {
                        items.last_mut().expect("non-empty").push(l.trim())
                    }
                    _ => break,
                }
                i += 1;
            }
            let lis = items.iter().map(|it| el("li", lines_inline(it))).collect();
            out.push(el(if ordered { "ol" } else { "ul" }, lis));
        } else {
            para.push(line);
            i += 1;
        }
    }
    flush(&mut para, &mut out);
    out
}

/// Lines of one paragraph: joined by spaces, or by a break after two trailing spaces or a backslash.
fn lines_inline(lines: &[&str]) -> Vec<Md> {
    let mut out = Vec::new();
    for (k, l) in lines.iter().enumerate() {
        let hard = l.ends_with("  ") || l.ends_with('\\');
        let text = l.trim().trim_end_matches('\\');
        out.extend(inline(text));
        if k + 1 < lines.len() {
            if hard {
                out.push(el("br", Vec::new()));
            } else {
                push_text(&mut out, " ");
            }
        }
    }
    out
}

fn push_text(out: &mut Vec<Md>, s: &str) {
    if let Some(Md::Text(prev)) = out.last_mut() {
        prev.push_str(s);
    } else if !s.is_empty() {
        out.push(Md::Text(s.to_string()));
    }
}

/// Find `delim` in `chars` from `from`, skipping backslash escapes; for `_` the
/// closing one must not be followed by a letter or digit (snake_case stays text).
fn find_close(chars: &[char], from: usize, delim: &[char]) -> Option<usize> {
    let mut j = from;
    while j + delim.len() <= chars.len() {
        if chars[j] == '\\' {
            j += 2;
            continue;
        }
        // A closing emphasis marker follows text, not a space (`2 * 3` is no emphasis).
        let flanked = delim[0] == ']' || !chars[j - 1].is_whitespace();
        if chars[j..j + delim.len()] == *delim && j > from && flanked {
            let after = chars.get(j + delim.len());
            if delim[0] != '_' || !after.is_some_and(|c| c.is_alphanumeric()) {
                return Some(j);
            }
        }
        j += 1;
    }
    None
}

/// Inline Markdown: code, strong, emphasis, strike-through, links, images (as alt text), escapes.
pub fn inline(text: &str) -> Vec<Md> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let s = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        let prev_alnum = i > 0 && chars[i - 1].is_alphanumeric();
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                push_text(&mut out, &chars[i + 1].to_string());
                i += 2;
                continue;
            }
            '`' => {
                let ticks = chars[i..].iter().take_while(|c| **c == '`').count();
                let delim = vec!['`'; ticks];
                if let Some(j) =
                    (i + ticks..=chars.len().saturating_sub(ticks)).find(|&j| chars[j..j + ticks] == *delim)
                {
                    out.push(el("code", vec![Md::Text(s(i + ticks, j).trim().to_string())]));
                    i = j + ticks;
                    continue;
                }
            }
            '*' | '_' | '~' => {
                let double = chars.get(i + 1) == Some(&c);
                let (delim, tag) = match (c, double) {
                    ('~', true) => (vec!['~', '~'], "del"),
                    ('~', false) => (vec![], ""),
                    (_, true) => (vec![c, c], "strong"),
                    (_, false) => (vec![c], "em"),
                };
                let opens = !(delim.is_empty() || c == '_' && prev_alnum)
                    && chars.get(i + delim.len()).is_some_and(|n| !n.is_whitespace());
                if opens {
                    if let Some(j) = find_close(&chars, i + delim.len(), &delim) {
                        out.push(el(tag, inline(&s(i + delim.len(), j))));
                        i = j + delim.len();
                        continue;
                    }
                }
            }
            '!' | '[' => {
                let image = c == '!';
                let open = if image { i + 1 } else { i };
                if chars.get(open) == Some(&'[') {
                    if let Some(close) = find_close(&chars, open + 1, &[']']) {
                        if chars.get(close + 1) == Some(&'(') {
                            // The target ends at the `)` that balances the `(`.
                            let mut depth = 0usize;
                            let end = (close + 1..chars.len()).find(|&k| {
                                match chars[k] {
                                    '(' => depth += 1,
                                    ')' => depth -= 1,
                                    _ => {}
                                }
                                depth == 0
                            });
                            if let Some(end) = end {
                                let label = s(open + 1, close);
                                let url = s(close + 2, end);
                                let url = url.split_whitespace().next().unwrap_or("");
                                let node = if image {
                                    Md::Text(label)
                                } else {
                                    match safe_href(url) {
                                        Some(href) => Md::El { tag: "a", href: Some(href), children: inline(&label) },
                                        None => el("span", inline(&label)),
                                    }
                                };
                                match node {
                                    Md::Text(t) => push_text(&mut out, &t),
                                    n => out.push(n),
                                }
                                i = end + 1;
                                continue;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        push_text(&mut out, &c.to_string());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(nodes: &[Md]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Md::Text(t) => t.clone(),
                Md::El { tag, href: Some(h), children } => format!("<{tag} {h}>{}</{tag}>", html(children)),
                Md::El { tag, children, .. } => format!("<{tag}>{}</{tag}>", html(children)),
            })
            .collect()
    }

    /// The subset lessons use renders to the expected elements.
    #[test]
    fn renders_the_subset() {
        let md = "# Title\nOne *two* **three** `four_five` fail_timeout_ms and ~~gone~~.\nSame para.\n\n- a\n- b [x](https://x.org)\n  more\n\n1. one\n2. two\n\n> quoted *em*\n\n```\ncode <b>\n```\n---\n";
        assert_eq!(
            html(&render(md)),
            "<h3>Title</h3><p>One <em>two</em> <strong>three</strong> <code>four_five</code> fail_timeout_ms and <del>gone</del>. Same para.</p>\
             <ul><li>a</li><li>b <a https://x.org>x</a> more</li></ul><ol><li>one</li><li>two</li></ol>\
             <blockquote><p>quoted <em>em</em></p></blockquote><pre><code>code <b></code></pre><hr></hr>"
        );
    }

    /// Raw HTML stays text, script links lose their target, images become their alt
    /// text, and unbalanced markers are plain characters (never a panic).
    #[test]
    fn nothing_becomes_raw_html() {
        let out = html(&render("Hi <script>x()</script> [bad](javascript:alert(1)) ![alt](http://i) [ok](#nodes=5) *open `tick [x]( 2 * 3 = 6"));
        assert_eq!(
            out,
            "<p>Hi <script>x()</script> <span>bad</span> alt <a #nodes=5>ok</a> *open `tick [x]( 2 * 3 = 6</p>"
        );
        for weird in ["*", "**", "`", "[", "[](", "![", "\\", "_a_b", "> ", "1. ", "```", "#"] {
            let _ = render(weird);
        }
        assert_eq!(html(&inline(r"\*not em\*")), "*not em*");
    }
}
