using System.Diagnostics.CodeAnalysis;

namespace LlmGateway.Api.Contracts;

/// <summary>The outcome of a wire-format translation: either a value or a <see cref="TranslationError"/>.</summary>
public sealed class TranslationResult<T> where T : class
{
    private TranslationResult(T? value, TranslationError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The translated value; set when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>Why translation failed; set when not <see cref="IsSuccess"/>.</summary>
    public TranslationError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static TranslationResult<T> Success(T value) => new(value, null);

    public static TranslationResult<T> Failure(TranslationError error) => new(null, error);

    public static TranslationResult<T> Failure(string param, string message) => new(null, new TranslationError(param, message));

    public static implicit operator TranslationResult<T>(T value) => Success(value);

    public static implicit operator TranslationResult<T>(TranslationError error) => Failure(error);
}
