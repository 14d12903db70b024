using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>
/// The ledger's <c>end_user</c>: one stable id per developer or customer, never per session (LiteLLM made every
/// Claude Code session its own customer by recording its whole <c>metadata.user_id</c>). Bounded: at most
/// <see cref="MaxLength"/> characters, no control or format characters.
/// </summary>
public static class EndUserId
{
    /// <summary>Set by the team (a wrapper script, an internal proxy, the developer's shell profile); wins over the body.</summary>
    public const string Header = "x-gateway-end-user";

    /// <summary>LiteLLM's end-user header; read after <see cref="Header"/> and before the body.</summary>
    public const string LitellmHeader = "x-litellm-end-user-id";

    public const int MaxLength = 128;

    /// <summary>A JSON <c>user_id</c> longer than this is not parsed, only cut to <see cref="MaxLength"/>.</summary>
    private const int MaxParsedLength = 1024;

    /// <summary>The header when it has a usable value, else what the body said (already reduced to one id).</summary>
    public static string? Resolve(string? header, string? fromBody) => Bounded(header) ?? Bounded(fromBody);

    /// <summary>The request's end user: <see cref="Header"/>, else <see cref="LitellmHeader"/>, else the body's id.</summary>
    public static string? Of(IHeaderDictionary headers, string? fromBody) =>
        Bounded(headers[Header].ToString()) ?? Bounded(headers[LitellmHeader].ToString()) ?? Bounded(fromBody);

    /// <summary>
    /// Anthropic's <c>metadata.user_id</c> reduced to the developer: Claude Code 2.x sends a JSON string
    /// <c>{"device_id","account_uuid","session_id"}</c> and 1.x <c>user_&lt;device&gt;_account_&lt;uuid&gt;_session_&lt;uuid&gt;</c>;
    /// both give the account when there is one, else the device. Any other value is an id as it is.
    /// </summary>
    public static string? FromAnthropicUserId(string? userId)
    {
        if (string.IsNullOrWhiteSpace(userId))
        {
            return null;
        }

        var trimmed = userId.Trim();
        if (trimmed.StartsWith('{') && trimmed.Length <= MaxParsedLength && TryReadJson(trimmed, out var fromJson))
        {
            return fromJson;
        }

        return TryReadLegacy(trimmed, out var fromLegacy) ? fromLegacy : trimmed;
    }

    /// <summary>Null when nothing usable is left; otherwise trimmed, without control or format characters, at most <see cref="MaxLength"/>.</summary>
    public static string? Bounded(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var kept = new StringBuilder(Math.Min(value.Length, MaxLength));
        foreach (var rune in value.Trim().EnumerateRunes())
        {
            if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.PrivateUse)
            {
                continue;
            }

            if (kept.Length + rune.Utf16SequenceLength > MaxLength)
            {
                break;
            }

            kept.Append(rune.ToString());
        }

        var result = kept.ToString().Trim();
        return result.Length == 0 ? null : result;
    }

    private static bool TryReadJson(string userId, out string? id)
    {
        string? device = null, account = null;
        id = null;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(userId));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && name == "device_id")
                {
                    device = reader.GetString();
                }
                else if (reader.TokenType == JsonTokenType.String && name == "account_uuid")
                {
                    account = reader.GetString();
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return false;
        }

        id = Bounded(account) ?? Bounded(device);
        return id is not null;
    }

    private static bool TryReadLegacy(string userId, out string? id)
    {
        id = null;
        var account = userId.IndexOf("_account_", StringComparison.Ordinal);
        var session = userId.IndexOf("_session_", StringComparison.Ordinal);
        if (!userId.StartsWith("user_", StringComparison.Ordinal) || account < 5 || session < account)
        {
            return false;
        }

        var device = userId[5..account];
        var accountId = userId[(account + "_account_".Length)..session];
        id = Bounded(accountId) ?? Bounded(device);
        return id is not null;
    }
}
