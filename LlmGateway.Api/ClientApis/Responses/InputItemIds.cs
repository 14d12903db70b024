using System.Text.Json.Nodes;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>Input items as <c>input_items</c> lists them: each with an id (its own, else one derived from the response's) and a type.</summary>
public static class InputItemIds
{
    public static List<JsonObject> WithIds(JsonArray items, string responseId)
    {
        var suffix = responseId.StartsWith("resp_", StringComparison.Ordinal) ? responseId[5..] : responseId;
        var listed = new List<JsonObject>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i]?.DeepClone() is not JsonObject item)
            {
                continue;
            }

            var type = GetString(item["type"]) ?? "message";
            item["type"] = type;
            if (GetString(item["id"]) is null)
            {
                var prefix = type switch
                {
                    "message" => "msg",
                    "function_call_output" => "fco",
                    "custom_tool_call_output" => "ctco",
                    "function_call" => "fc",
                    _ => "item",
                };
                item["id"] = $"{prefix}_{suffix}_in{i}";
            }

            if (type == "message" && GetString(item["content"]) is { } text)
            {
                item["content"] = new JsonArray(new JsonObject { ["type"] = "input_text", ["text"] = text });
            }

            listed.Add(item);
        }

        return listed;
    }
}
