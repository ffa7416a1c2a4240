//! Field-level comparison of a desired object with the live one. Only fields the desired object
//! sets are compared, so fields the API server defaults or other managers own never show as
//! changes; lists of named things (containers, env, ports, volumes, ...) are matched by their key;
//! quantities compare by value (`1Gi` = `1024Mi`).

use serde_json::Value;

use firecamp_schema::spec::quantity::Quantity;

use super::model::FieldChange;

/// The changes that would make `live` match `desired` on every field `desired` sets.
#[must_use]
pub fn diff(desired: &Value, live: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    walk(&mut String::new(), desired, Some(live), &mut changes);
    changes
}

/// `live` reduced to the fields `desired` sets (lists matched as in [`diff`]): what the plan
/// compares, for showing a change without the fields the API server or others add.
#[must_use]
pub fn project(live: &Value, desired: &Value) -> Value {
    project_at("", live, desired)
}

fn project_at(path: &str, live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => Value::Object(
            d.iter()
                .filter_map(|(key, value)| {
                    l.get(key)
                        .map(|lv| (key.clone(), project_at(&join(path, key), lv, value)))
                })
                .collect(),
        ),
        (Value::Array(l), Value::Array(d)) => match merge_key(path, d) {
            Some(key) => Value::Array(
                l.iter()
                    .filter_map(|item| {
                        d.iter()
                            .find(|want| want[key] == item[key])
                            .map(|want| project_at(path, item, want))
                    })
                    .collect(),
            ),
            None if l.len() == d.len() => Value::Array(
                l.iter()
                    .zip(d)
                    .map(|(item, want)| project_at(path, item, want))
                    .collect(),
            ),
            None => live.clone(),
        },
        _ => live.clone(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Compares `desired` with `live` at `path` (a buffer each level extends and restores, so
/// comparing an object in sync allocates nothing).
fn walk(path: &mut String, desired: &Value, live: Option<&Value>, out: &mut Vec<FieldChange>) {
    let Some(live) = live else {
        // The API server stores no empty map or list (Go's `omitempty`: a ConfigMap applied with
        // `data: {}` comes back without `data`); asking for one is asking for nothing.
        if is_empty(desired) {
            return;
        }
        out.push(FieldChange {
            path: path.clone(),
            before: None,
            after: Some(desired.clone()),
        });
        return;
    };
    let at = path.len();
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            for (key, value) in d {
                if at > 0 {
                    path.push('.');
                }
                path.push_str(key);
                walk(path, value, l.get(key), out);
                path.truncate(at);
            }
        }
        (Value::Array(d), Value::Array(l)) => match merge_key(path, d) {
            Some(key) => {
                for item in d {
                    let id = &item[key];
                    let matching = l.iter().find(|candidate| &candidate[key] == id);
                    path.push('[');
                    match id.as_str() {
                        Some(label) => path.push_str(label),
                        None => path.push_str(&id.to_string()),
                    }
                    path.push(']');
                    walk(path, item, matching, out);
                    path.truncate(at);
                }
            }
            None if d.len() == l.len() => {
                for (i, (item, other)) in d.iter().zip(l).enumerate() {
                    path.push('[');
                    path.push_str(&i.to_string());
                    path.push(']');
                    walk(path, item, Some(other), out);
                    path.truncate(at);
                }
            }
            None => out.push(FieldChange {
                path: path.clone(),
                before: Some(live.clone()),
                after: Some(desired.clone()),
            }),
        },
        _ if same_scalar(path, desired, live) => {}
        _ => out.push(FieldChange {
            path: path.clone(),
            before: Some(live.clone()),
            after: Some(desired.clone()),
        }),
    }
}

/// Null, an empty map or an empty list.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The key that identifies the items of a list, as Kubernetes' strategic merge uses it for that
/// field (`containers` by name, `volumeMounts` by mountPath, ...), when every item has a distinct
/// value; other lists compare by position.
fn merge_key(path: &str, items: &[Value]) -> Option<&'static str> {
    let field = path.rsplit('.').next().unwrap_or(path);
    let field = field.split('[').next().unwrap_or(field);
    let key = match field {
        "containers" | "initContainers" | "env" | "volumes" | "imagePullSecrets" => "name",
        "volumeMounts" => "mountPath",
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => "containerPort",
        "ports" => "port",
        _ => return None,
    };
    let distinct = items.iter().enumerate().all(|(i, item)| {
        item.get(key)
            .is_some_and(|value| items[..i].iter().all(|other| other.get(key) != Some(value)))
    });
    distinct.then_some(key)
}

/// Equal values, or the same quantity written two ways, or a number and its decimal string.
fn same_scalar(path: &str, desired: &Value, live: &Value) -> bool {
    if desired == live {
        return true;
    }
    match (desired, live) {
        (Value::String(d), Value::String(l)) if is_quantity_path(path) => {
            matches!((Quantity::new(d.as_str()).milli(), Quantity::new(l.as_str()).milli()), (Ok(a), Ok(b)) if a == b)
        }
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            n.to_string() == *s
        }
        _ => false,
    }
}

fn is_quantity_path(path: &str) -> bool {
    ["resources.", "storage", "sizeLimit", "capacity"]
        .iter()
        .any(|part| path.contains(part))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::diff;

    #[test]
    fn server_defaults_and_other_fields_are_ignored() {
        let desired = json!({"spec": {"replicas": 3}});
        let live = json!({"spec": {"replicas": 3, "revisionHistoryLimit": 10}, "status": {"readyReplicas": 3}});
        assert!(diff(&desired, &live).is_empty());
    }

    #[test]
    fn an_empty_map_or_list_the_server_does_not_store_is_in_sync() {
        // A ConfigMap applied with `data: {}` comes back from the real API server without
        // `data`; a plan that asked for it again would never converge.
        let desired = json!({"data": {}, "spec": {"tolerations": [], "x": null}});
        let live = json!({"spec": {}});
        assert!(diff(&desired, &live).is_empty());
        let wanted = json!({"data": {"k": "v"}});
        assert_eq!(diff(&wanted, &json!({}))[0].path, "data");
    }

    #[test]
    fn projection_keeps_only_the_desired_fields() {
        let desired = json!({"spec": {"replicas": 3, "containers": [{"name": "a", "image": "x"}]}});
        let live = json!({"spec": {"replicas": 2, "x": 1, "containers": [{"name": "b"}, {"name": "a", "image": "y", "tty": false}]}, "status": {}});
        assert_eq!(
            super::project(&live, &desired),
            json!({"spec": {"replicas": 2, "containers": [{"name": "a", "image": "y"}]}})
        );
    }

    #[test]
    fn lists_of_named_items_are_matched_by_name() {
        let desired =
            json!({"containers": [{"name": "a", "image": "x:2"}, {"name": "b", "image": "y"}]});
        let live = json!({"containers": [{"name": "b", "image": "y"}, {"name": "injected"}, {"name": "a", "image": "x:1"}]});
        let changes = diff(&desired, &live);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "containers[a].image");
    }

    #[test]
    fn volume_mounts_are_matched_by_mount_path() {
        let desired = json!({"volumeMounts": [{"name": "config", "mountPath": "/etc/a"}, {"name": "config", "mountPath": "/x", "subPath": "x"}]});
        let live = json!({"volumeMounts": [{"name": "config", "mountPath": "/x", "subPath": "x"}, {"name": "config", "mountPath": "/etc/a"}]});
        assert!(diff(&desired, &live).is_empty());
    }

    #[test]
    fn quantities_compare_by_value_only_where_they_are_quantities() {
        let desired = json!({"resources": {"limits": {"memory": "1Gi"}}, "data": {"size": "1Gi"}});
        let live =
            json!({"resources": {"limits": {"memory": "1024Mi"}}, "data": {"size": "1024Mi"}});
        let changes = diff(&desired, &live);
        assert_eq!(
            changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(),
            ["data.size"]
        );
    }

    #[test]
    fn missing_fields_and_changed_lists_are_reported() {
        let desired = json!({"a": {"b": 1}, "args": ["x", "y"]});
        let live = json!({"args": ["x"]});
        let paths: Vec<String> = diff(&desired, &live).into_iter().map(|c| c.path).collect();
        assert_eq!(paths, ["a", "args"]);
    }
}
