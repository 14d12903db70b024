using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>Typed reads of top-level fields with errors that name the field (<c>param</c>) and say what was expected.</summary>
public static class BodyField
{
    /// <summary>Body fields that would let a client point the gateway somewhere else; rejected, never used.</summary>
    private static readonly string[] ForbiddenFields = ["api_base", "base_url", "api_key", "api_version", "azure_ad_token"];

    /// <summary>The upstream is the gateway's choice: a body naming one is refused.</summary>
    public static bool RejectForbidden(JsonBody body, out GatewayError? error)
    {
        foreach (var field in ForbiddenFields)
        {
            if (body.TryGet(field, out _))
            {
                error = GatewayError.InvalidRequest(
                    $"'{field}' cannot be set in a request: the gateway chooses the upstream from the model name.", field, "invalid_parameter");
                return false;
            }
        }

        error = null;
        return true;
    }

    public static bool TryString(JsonBody body, string name, bool required, out string? value, out GatewayError? error)
    {
        value = null;
        error = null;
        if (!body.TryGet(name, out var property) || property.Kind == JsonTokenType.Null)
        {
            if (required)
            {
                error = GatewayError.InvalidRequest($"'{name}' is required.", name, "missing_required_parameter");
            }

            return !required;
        }

        if (property.Kind != JsonTokenType.String)
        {
            error = WrongType(name, "a string", property.Kind);
            return false;
        }

        value = body.ReaderFor(property).GetString();
        if (required && string.IsNullOrEmpty(value))
        {
            error = GatewayError.InvalidRequest($"'{name}' must not be empty.", name, "invalid_value");
            return false;
        }

        return true;
    }

    public static bool TryBool(JsonBody body, string name, out bool? value, out GatewayError? error)
    {
        value = null;
        error = null;
        if (!body.TryGet(name, out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

        if (property.Kind is not (JsonTokenType.True or JsonTokenType.False))
        {
            error = WrongType(name, "a boolean", property.Kind);
            return false;
        }

        value = property.Kind == JsonTokenType.True;
        return true;
    }

    public static bool TryInteger(JsonBody body, string name, long min, long max, out long? value, out GatewayError? error)
    {
        value = null;
        error = null;
        if (!body.TryGet(name, out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

        if (property.Kind != JsonTokenType.Number || !body.ReaderFor(property).TryGetInt64(out var number))
        {
            error = WrongType(name, "an integer", property.Kind);
            return false;
        }

        if (number < min || number > max)
        {
            error = OutOfRange(name, min, max, number);
            return false;
        }

        value = number;
        return true;
    }

    /// <summary>
    /// <c>thinking.budget_tokens</c>, when sent, is an integer of at least 1 (Messages, and chat bodies for Claude): the
    /// reservation counts it (<c>WorstCaseRequest.ThinkingBudgetOf</c>), so a form it does not read as one (<c>6.4e4</c>,
    /// <c>64000.0</c>, <c>"64000"</c>) would be forwarded as sent and reserved as if absent.
    /// </summary>
    public static bool TryThinkingBudget(JsonBody body, out GatewayError? error)
    {
        error = null;
        if (!body.TryGet("thinking", out var thinking) || thinking.Kind != JsonTokenType.StartObject)
        {
            return true;
        }

        var reader = body.ReaderFor(thinking);
        while (reader.Read() && reader.CurrentDepth > 0)
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("budget_tokens"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    return true;
                }

                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var budget))
                {
                    error = WrongType("thinking.budget_tokens", "an integer", reader.TokenType);
                    return false;
                }

                if (budget < 1 || budget > int.MaxValue)
                {
                    error = OutOfRange("thinking.budget_tokens", 1L, (long)int.MaxValue, budget);
                    return false;
                }

                return true;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return true;
    }

    public static bool TryNumber(JsonBody body, string name, double min, double max, out double? value, out GatewayError? error)
    {
        value = null;
        error = null;
        if (!body.TryGet(name, out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

        if (property.Kind != JsonTokenType.Number || !body.ReaderFor(property).TryGetDouble(out var number) || !double.IsFinite(number))
        {
            error = WrongType(name, "a number", property.Kind);
            return false;
        }

        if (number < min || number > max)
        {
            error = OutOfRange(name, min, max, number);
            return false;
        }

        value = number;
        return true;
    }

    /// <summary>A string inside a top-level object (<c>metadata.user_id</c>); null when either is missing or of another type.</summary>
    public static string? NestedString(JsonBody body, string objectName, string name)
    {
        if (!body.TryGet(objectName, out var property) || property.Kind != JsonTokenType.StartObject)
        {
            return null;
        }

        var reader = body.ReaderFor(property);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals(name);
            reader.Read();
            if (isName)
            {
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>A required array field, with a reader positioned on its start.</summary>
    public static bool TryRequiredArray(JsonBody body, string name, out Utf8JsonReader reader, out GatewayError? error)
    {
        reader = default;
        error = null;
        if (!body.TryGet(name, out var property))
        {
            error = GatewayError.InvalidRequest($"'{name}' is required.", name, "missing_required_parameter");
            return false;
        }

        if (property.Kind != JsonTokenType.StartArray)
        {
            error = WrongType(name, "an array", property.Kind);
            return false;
        }

        reader = body.ReaderFor(property);
        return true;
    }

    private static GatewayError OutOfRange<T>(string name, T min, T max, T value) =>
        GatewayError.InvalidRequest($"'{name}' must be between {min} and {max}; got {value}.", name, "invalid_value");

    public static GatewayError WrongType(string name, string expected, JsonTokenType actual) =>
        GatewayError.InvalidRequest($"'{name}' must be {expected}, not {Describe(actual)}.", name, "invalid_type");

    private static string Describe(JsonTokenType kind) => kind switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.Null => "null",
        _ => kind.ToString(),
    };
}
