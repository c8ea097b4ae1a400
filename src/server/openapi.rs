//! The OpenAPI 3 document of the HTTP/JSON routes, generated from the contract's descriptors:
//! each route's parameters and bodies, and a schema for every message they reach, in the proto3
//! JSON mapping (lowerCamelCase names, enums as their names, 64-bit integers as strings,
//! Timestamps as RFC 3339 strings). Served at `/openapi.json`.

use std::collections::BTreeMap;

use prost_reflect::{FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, ServiceDescriptor};
use serde_json::{Value, json};

use super::gateway::Route;

/// The document for `service` reached by `routes`.
pub(crate) fn document(service: &ServiceDescriptor, routes: &[Route]) -> Value {
    let mut schemas = BTreeMap::new();
    let mut paths: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for route in routes {
        let method = &route.method;
        let input = method.input();
        let output = method.output();
        let mut parameters: Vec<Value> = route
            .path_fields()
            .map(|name| {
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
            })
            .collect();
        let mut operation = serde_json::Map::new();
        operation.insert("operationId".into(), json!(method.name()));
        if let Some(text) = comment(&method.parent_file(), method.path()) {
            operation.insert("description".into(), json!(text));
        }
        operation.insert("tags".into(), json!([service.name()]));
        if route.body {
            operation.insert(
                "requestBody".into(),
                json!({
                    "required": true,
                    "content": {"application/json": {"schema": reference(&input, &mut schemas)}}
                }),
            );
        } else {
            let in_path: Vec<&str> = route.path_fields().collect();
            for field in input.fields() {
                if in_path.contains(&field.name()) {
                    continue;
                }
                parameters.push(json!({
                    "name": field.name(),
                    "in": "query",
                    "required": false,
                    "schema": field_schema(&field, &mut schemas),
                }));
            }
        }
        if !parameters.is_empty() {
            operation.insert("parameters".into(), Value::Array(parameters));
        }
        operation.insert(
            "responses".into(),
            json!({
                "200": {
                    "description": format!("{}: the answer", output.name()),
                    "content": {"application/json": {"schema": reference(&output, &mut schemas)}}
                },
                "default": {
                    "description": "An error: the gRPC status as Google's HTTP APIs write it",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }),
        );
        // The template's `{id}` is OpenAPI's path parameter syntax too.
        paths.entry(route.template.clone()).or_default().insert(
            route.verb.as_str().to_ascii_lowercase(),
            Value::Object(operation),
        );
    }
    schemas.insert("Error".to_string(), error_schema());
    let mut description = String::from(
        "The gRPC methods of alam.v1 as their google.api.http options map them, with the \
         proto3 JSON mapping for bodies. gRPC callers reach the same handlers on the same port.",
    );
    if let Some(text) = comment(&service.parent_file(), service.path()) {
        description.push_str("\n\n");
        description.push_str(&text);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("{} over HTTP/JSON", service.full_name()),
            "version": env!("CARGO_PKG_VERSION"),
            "description": description,
            "license": {"name": "MIT OR Apache-2.0"}
        },
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// A `$ref` to the schema of `message`, defining it (and what it reaches) on first use.
fn reference(message: &MessageDescriptor, schemas: &mut BTreeMap<String, Value>) -> Value {
    let name = message.full_name().to_string();
    if !schemas.contains_key(&name) {
        // Placed first, so that a message that reaches itself ends the recursion.
        schemas.insert(name.clone(), Value::Null);
        let schema = message_schema(message, schemas);
        schemas.insert(name.clone(), schema);
    }
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn message_schema(message: &MessageDescriptor, schemas: &mut BTreeMap<String, Value>) -> Value {
    match message.full_name() {
        "google.protobuf.Timestamp" => {
            return json!({"type": "string", "format": "date-time"});
        }
        "google.protobuf.Any" => {
            return json!({
                "type": "object",
                "properties": {"@type": {"type": "string"}},
                "additionalProperties": true
            });
        }
        _ => {}
    }
    let mut properties = serde_json::Map::new();
    for field in message.fields() {
        let mut schema = field_schema(&field, schemas);
        if let Some(text) = comment(&field.parent_file(), field.path()) {
            schema = described(schema, text);
        }
        properties.insert(field.json_name().to_string(), schema);
    }
    let schema = json!({"type": "object", "properties": properties});
    match comment(&message.parent_file(), message.path()) {
        Some(text) => described(schema, text),
        None => schema,
    }
}

fn field_schema(field: &FieldDescriptor, schemas: &mut BTreeMap<String, Value>) -> Value {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("a map field's kind is its entry message");
        };
        let value = entry.map_entry_value_field();
        return json!({"type": "object", "additionalProperties": field_schema(&value, schemas)});
    }
    let single = match field.kind() {
        Kind::Double | Kind::Float => json!({"type": "number"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "format": "int64", "minimum": 0}),
        // The proto3 JSON mapping writes 64-bit integers as strings.
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": "string", "format": "int64"})
        }
        Kind::Bool => json!({"type": "boolean"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        Kind::Enum(e) => {
            let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
            json!({"type": "string", "enum": names})
        }
        Kind::Message(m) => reference(&m, schemas),
    };
    if field.is_list() {
        json!({"type": "array", "items": single})
    } else {
        single
    }
}

/// The comment the proto writes before the element at `path` of `file`, if any.
fn comment(file: &FileDescriptor, path: &[i32]) -> Option<String> {
    let info = file.file_descriptor_proto().source_code_info.as_ref()?;
    let location = info.location.iter().find(|l| l.path == path)?;
    let text = location.leading_comments.as_deref()?.trim();
    (!text.is_empty()).then(|| text.lines().map(str::trim).collect::<Vec<_>>().join("\n"))
}

/// `schema` with a description; a `$ref` cannot carry siblings in OpenAPI 3.0, so it is wrapped.
fn described(schema: Value, text: String) -> Value {
    match schema {
        Value::Object(mut object) if !object.contains_key("$ref") => {
            object.insert("description".into(), json!(text));
            Value::Object(object)
        }
        reference => json!({"allOf": [reference], "description": text}),
    }
}

/// Google's HTTP error: the status code, the message, the gRPC code's name, typed details.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "code": {"type": "integer", "format": "int32", "description": "The HTTP status"},
                    "message": {"type": "string"},
                    "status": {"type": "string", "description": "The gRPC code, such as INVALID_ARGUMENT"},
                    "details": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/google.protobuf.Any"}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::gateway::Routes;

    #[test]
    fn every_route_and_every_schema_it_reaches() {
        let routes = Routes::from_contract().unwrap();
        let document: serde_json::Value = serde_json::from_slice(&routes.openapi).unwrap();
        let paths = document["paths"].as_object().unwrap();
        assert_eq!(paths.len(), 5, "{paths:?}");
        assert!(paths["/v1/entities/{id}"]["get"]["parameters"][0]["in"] == "path");
        let schemas = document["components"]["schemas"].as_object().unwrap();
        for name in [
            "alam.v1.ExtractRequest",
            "alam.v1.ExtractBatchResult",
            "google.rpc.Status",
            "google.protobuf.Any",
            "Error",
        ] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
        let mention = &schemas["alam.v1.Mention"]["properties"];
        assert_eq!(mention["entityType"]["type"], "string");
        assert_eq!(mention["form"]["enum"][1], "FORM_NAME");
        let info = &schemas["alam.v1.GetInfoResponse"]["properties"];
        assert_eq!(
            info["loadTime"]["allOf"][0]["$ref"],
            "#/components/schemas/google.protobuf.Timestamp"
        );
        assert_eq!(
            info["loadTime"]["description"],
            "When the gazetteers serving now were loaded."
        );
        let extract = &paths["/v1/extract"]["post"];
        assert_eq!(extract["description"], "Finds every mention in one text.");
        let request = &schemas["alam.v1.ExtractRequest"]["description"];
        assert_eq!(request, "A text to search.");
        assert!(schemas.values().all(|s| !s.is_null()));
    }
}
