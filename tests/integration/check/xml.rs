//! A minimal XML reader: enough to prove the JUnit file is well-formed and to walk it.

#[derive(Debug, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or("unterminated entity")? + i;
        let ent = &rest[i + 1..end];
        out.push(match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if ent.starts_with('#') => {
                char::from_u32(ent[1..].parse().map_err(|_| format!("bad entity &{ent};"))?).ok_or("bad char")?
            }
            _ => return Err(format!("unknown entity &{ent};")),
        });
        rest = &rest[end + 1..];
    }
    if rest.contains('<') {
        return Err("raw < in text".into());
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_tag(tag: &str) -> Result<Element, String> {
    let mut el = Element::default();
    let (name, mut rest) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
    el.name = name.to_string();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(el);
        }
        let eq = rest.find("=\"").ok_or_else(|| format!("bad attribute in <{tag}>"))?;
        let key = rest[..eq].to_string();
        let close = rest[eq + 2..].find('"').ok_or("unterminated attribute")? + eq + 2;
        let raw = &rest[eq + 2..close];
        if raw.contains('<') {
            return Err(format!("raw < in attribute {key}"));
        }
        el.attrs.push((key, unescape(raw)?));
        rest = &rest[close + 1..];
    }
}

/// Parses a document with an optional `<?xml …?>` declaration and one root element.
pub fn parse(doc: &str) -> Result<Element, String> {
    let mut s = doc.trim();
    if let Some(rest) = s.strip_prefix("<?xml") {
        s = &rest[rest.find("?>").ok_or("bad declaration")? + 2..];
    }
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let lt = s.find('<');
        let text = &s[..lt.unwrap_or(s.len())];
        let top = stack.last_mut().ok_or("stack underflow")?;
        top.text.push_str(&unescape(text)?);
        let Some(lt) = lt else { break };
        let gt = s[lt..].find('>').ok_or("unterminated tag")? + lt;
        let tag = &s[lt + 1..gt];
        s = &s[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let el = stack.pop().ok_or("unbalanced")?;
            if el.name != name {
                return Err(format!("</{name}> closes <{}>", el.name));
            }
            stack.last_mut().ok_or("unbalanced close")?.children.push(el);
        } else if let Some(tag) = tag.strip_suffix('/') {
            let el = parse_tag(tag.trim_end())?;
            stack.last_mut().ok_or("unbalanced")?.children.push(el);
        } else {
            stack.push(parse_tag(tag)?);
        }
    }
    let mut doc = stack.pop().ok_or("empty")?;
    if !stack.is_empty() || doc.children.len() != 1 || !doc.text.trim().is_empty() {
        return Err("not exactly one root element, or unclosed elements".into());
    }
    let mut root = doc.children.remove(0);
    trim(&mut root);
    Ok(root)
}

fn trim(el: &mut Element) {
    if !el.children.is_empty() {
        el.text = el.text.trim().to_string();
    }
    el.children.iter_mut().for_each(trim);
}
