// A small XML well-formedness checker for the SVG tests (no XML library is a
// dependency): one root element, tags balanced and properly nested, attributes
// quoted and unique per tag, entity references valid, nothing after the root.
#pragma once
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace descent::test_util {

/// Empty when `xml` is well-formed, else the reason and the byte offset.
inline std::string xml_error(const std::string& xml) {
    std::vector<std::string> stack;
    std::size_t i = 0;
    bool root_seen = false, root_closed = false;
    auto fail = [&](const std::string& why) { return why + " at byte " + std::to_string(i); };
    auto name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':' ||
               static_cast<unsigned char>(c) >= 0x80;
    };
    auto check_entity = [&](std::size_t& k) -> bool {  // xml[k] == '&'
        const std::size_t semi = xml.find(';', k);
        if (semi == std::string::npos || semi - k > 12) return false;
        const std::string ent = xml.substr(k + 1, semi - k - 1);
        static const std::set<std::string> named = {"lt", "gt", "amp", "quot", "apos"};
        bool ok = named.count(ent) > 0;
        if (!ok && ent.size() > 1 && ent[0] == '#') {
            ok = true;
            const bool hex = ent[1] == 'x';
            for (std::size_t j = hex ? 2 : 1; j < ent.size(); ++j)
                ok = ok && (hex ? std::isxdigit(static_cast<unsigned char>(ent[j])) : std::isdigit(static_cast<unsigned char>(ent[j])));
            ok = ok && ent.size() > (hex ? 2u : 1u);
        }
        k = semi;
        return ok;
    };
    while (i < xml.size()) {
        if (xml[i] != '<') {
            if (xml[i] == '&' && !check_entity(i)) return fail("bad entity reference");
            if (!std::isspace(static_cast<unsigned char>(xml[i])) && (stack.empty())) return fail("text outside the root");
            ++i;
            continue;
        }
        if (xml.compare(i, 4, "<!--") == 0) {
            const auto end = xml.find("-->", i + 4);
            if (end == std::string::npos) return fail("unterminated comment");
            i = end + 3;
        } else if (xml.compare(i, 9, "<![CDATA[") == 0) {
            const auto end = xml.find("]]>", i + 9);
            if (end == std::string::npos || stack.empty()) return fail("bad CDATA section");
            i = end + 3;
        } else if (xml.compare(i, 2, "<?") == 0) {
            const auto end = xml.find("?>", i + 2);
            if (end == std::string::npos) return fail("unterminated processing instruction");
            i = end + 2;
        } else if (xml.compare(i, 2, "<!") == 0) {
            const auto end = xml.find('>', i + 2);
            if (end == std::string::npos || root_seen) return fail("bad declaration");
            i = end + 1;
        } else if (xml.compare(i, 2, "</") == 0) {
            std::size_t k = i + 2;
            while (k < xml.size() && name_char(xml[k])) ++k;
            const std::string name = xml.substr(i + 2, k - i - 2);
            while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
            if (k >= xml.size() || xml[k] != '>') return fail("bad end tag");
            if (stack.empty() || stack.back() != name) return fail("end tag </" + name + "> does not match");
            stack.pop_back();
            if (stack.empty()) root_closed = true;
            i = k + 1;
        } else {
            if (root_closed) return fail("a second root element");
            std::size_t k = i + 1;
            while (k < xml.size() && name_char(xml[k])) ++k;
            const std::string name = xml.substr(i + 1, k - i - 1);
            if (name.empty()) return fail("empty tag name");
            std::set<std::string> attrs;
            bool self_closing = false;
            for (;;) {
                while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
                if (k >= xml.size()) return fail("unterminated tag <" + name + ">");
                if (xml[k] == '>') { ++k; break; }
                if (xml.compare(k, 2, "/>") == 0) { k += 2; self_closing = true; break; }
                const std::size_t a0 = k;
                while (k < xml.size() && name_char(xml[k])) ++k;
                const std::string attr = xml.substr(a0, k - a0);
                if (attr.empty() || !attrs.insert(attr).second) return fail("bad or repeated attribute in <" + name + ">");
                while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
                if (k >= xml.size() || xml[k] != '=') return fail("attribute without value in <" + name + ">");
                ++k;
                while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
                if (k >= xml.size() || (xml[k] != '"' && xml[k] != '\'')) return fail("unquoted attribute");
                const char q = xml[k++];
                while (k < xml.size() && xml[k] != q) {
                    if (xml[k] == '<') return fail("'<' in an attribute value");
                    if (xml[k] == '&' && !check_entity(k)) return fail("bad entity in an attribute");
                    ++k;
                }
                if (k >= xml.size()) return fail("unterminated attribute value");
                ++k;
            }
            root_seen = true;
            if (!self_closing) stack.push_back(name);
            else if (stack.empty()) root_closed = true;
            i = k;
        }
    }
    if (!root_seen) return "no root element";
    if (!stack.empty()) return "unclosed element <" + stack.back() + ">";
    return "";
}

}  // namespace descent::test_util
