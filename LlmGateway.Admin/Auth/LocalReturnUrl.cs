namespace LlmGateway.Admin.Auth;

/// <summary>
/// Where to go after signing in: a path on this site, or the home page. Browsers read <c>//host</c> and <c>/\host</c>
/// as another site and drop tabs and line breaks first (<c>/%09/evil</c> becomes <c>//evil</c>), so those are refused.
/// </summary>
public static class LocalReturnUrl
{
    public static string Resolve(string? url) => IsLocal(url) ? url! : "/";

    public static bool IsLocal(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/')
        {
            return false;
        }

        if (url.Length > 1 && (url[1] == '/' || url[1] == '\\'))
        {
            return false;
        }

        foreach (var c in url)
        {
            // Control characters (which browsers strip) and backslashes (which they read as '/') have no place in a path of ours.
            if (char.IsControl(c) || c == '\\' || char.IsWhiteSpace(c))
            {
                return false;
            }
        }

        return true;
    }
}
