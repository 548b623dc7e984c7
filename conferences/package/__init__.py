"""The public record (ARCHITECTURE.md, layer 4): what a conference leaves behind for everyone.

``selectors`` reads the archive and a conference's information package, ``publishing`` saves and
publishes recordings, documents and clarifications (with the changelog), ``emails`` sends the
archive link once to every active registrant, ``report`` builds the dialogue report for the
procurement record. It sits above meetings, Q&A and registrations and reads their selectors;
nothing below imports it.
"""
